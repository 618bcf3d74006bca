from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "guanjia.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        """Approvals suspended or returned show among a project's holding reasons."""
        from guanjia.projects import holding

        from . import services

        holding.holders.register(services.holding_many, key="approvals", order=1)
