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

        from . import access, services
        from .importers import job_importer

        REFERENCES.register(access.referenceable_projects, key="project")
        enterprise_access.ties.register(access.enterprise_tie, key="projects", order=0)
        enterprise_services.on_merge.register(services.merge_enterprise, key="projects", order=0)
        register("projects", _("Project ledger"), "ledger:project_list", access.may_open, order=20)
        register("import", _("Import"), "ledger:import_start", access.may_import, order=90)
        jobs.register("ledger", job_importer, "ledger:import_job")
