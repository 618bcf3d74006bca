from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "guanjia.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from guanjia.core.sheets import jobs

        from .importers import job_importer

        jobs.register("ledger", job_importer, "ledger:import_job")
