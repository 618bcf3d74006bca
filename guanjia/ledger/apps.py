from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "guanjia.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from guanjia.industries.models import Industry
        from guanjia.regions.models import Region

        from .forms import reference_changed

        for model in (Region, Industry):
            post_save.connect(reference_changed, sender=model, dispatch_uid=f"ledger-ref-{model}")
            post_delete.connect(
                reference_changed, sender=model, dispatch_uid=f"ledger-ref-del-{model}"
            )
