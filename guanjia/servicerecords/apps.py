from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRecordsConfig(AppConfig):
    name = "guanjia.servicerecords"
    label = "servicerecords"
    verbose_name = _("Service records")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav)."""
        from guanjia.core.nav import register

        from . import access

        register("services", _("Services"), "servicerecords:list", access.may_open, order=60)
