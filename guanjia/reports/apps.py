from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "guanjia.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav)."""
        from guanjia.core.nav import register

        from . import access

        register("reports", _("Reports"), "reports:list", access.may_open, order=100)
