from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "guanjia.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from . import access

        access.watch_public_records()
