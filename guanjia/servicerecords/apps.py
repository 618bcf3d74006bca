from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRecordsConfig(AppConfig):
    name = "guanjia.servicerecords"
    label = "servicerecords"
    verbose_name = _("Service records")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav) and its background import."""
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs

        from . import access
        from .importers import job_importer

        register("services", _("Services"), "servicerecords:list", access.may_open, order=60)
        jobs.register("servicerecords", job_importer, "servicerecords:import_job")
