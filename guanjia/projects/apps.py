from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "guanjia.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from guanjia.industries.models import Industry
        from guanjia.regions.models import Region

        from .forms import reference_changed

        # The project list's cached filter choices follow the reference data.
        for model in (Region, Industry):
            post_save.connect(reference_changed, sender=model, dispatch_uid=f"projects-ref-{model}")
            post_delete.connect(
                reference_changed, sender=model, dispatch_uid=f"projects-ref-del-{model}"
            )
