from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "guanjia.leads"
    label = "leads"
    verbose_name = _("Investment leads")

    def ready(self) -> None:
        """Plug the leads into the apps below (see `guanjia.core.hooks`) and the menu."""
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs
        from guanjia.enterprises import access as enterprise_access
        from guanjia.enterprises import services as enterprise_services
        from guanjia.enterprises import views as enterprise_views

        from . import access, services
        from .importers import job_importer

        REFERENCES.register(access.referenceable_leads, key="lead")
        enterprise_access.ties.register(access.enterprise_tie, key="leads", order=2)
        enterprise_views.detail_parts.register(access.investor_leads, key="leads", order=2)
        enterprise_services.on_merge.register(services.merge_investor, key="leads", order=2)
        jobs.register("leads", job_importer, "leads:import_job")
        register("leads", _("Leads"), "leads:list", access.may_open, order=25)
