from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "guanjia.targets"
    label = "targets"
    verbose_name = _("Targets")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav) and its background import."""
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs

        from . import access
        from .importers import job_importer

        register("targets", _("Targets"), "targets:board", access.may_open, order=80)
        jobs.register("targets", job_importer, "targets:import_job")
