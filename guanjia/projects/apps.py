from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "guanjia.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        """Plug the project rules into the apps below (see `guanjia.core.hooks`)."""
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs
        from guanjia.enterprises import access as enterprise_access
        from guanjia.enterprises import services as enterprise_services
        from guanjia.enterprises import views as enterprise_views

        from . import access, services
        from .importers import job_importer

        REFERENCES.register(access.referenceable_projects, key="project")
        enterprise_access.ties.register(access.enterprise_tie, key="projects", order=0)
        enterprise_views.detail_parts.register(access.enterprise_projects, key="projects", order=0)
        enterprise_services.on_merge.register(services.merge_enterprise, key="projects", order=0)
        register(
            "projects", _("Project ledger"), "projects:project_list", access.may_open, order=20
        )
        register("import", _("Import"), "projects:import_start", access.may_import, order=90)
        jobs.register("ledger", job_importer, "projects:import_job")

        from .models import STALL_RULES, StallRule

        STALL_RULES.watch([StallRule])

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
