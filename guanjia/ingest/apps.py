from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "guanjia.ingest"
    label = "ingest"
    verbose_name = _("Text ingestion")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav)."""
        from guanjia.core.nav import register

        from . import access

        register("ingest", _("Read a text"), "ingest:index", access.may_open, order=110)
