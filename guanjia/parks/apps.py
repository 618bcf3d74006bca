from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParksConfig(AppConfig):
    name = "guanjia.parks"
    label = "parks"
    verbose_name = _("Parks and land")

    def ready(self) -> None:
        """The menu entry, the parks' reference kind, the inventory's background import, the
        lead page's card of matching land, the projects' open-data locations (the plots they
        were given) and the signals that keep the land's cache honest."""
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core import panels
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs
        from guanjia.projects.opendata.oc4ids import locators

        from . import access, landcache, views
        from .importers import job_importer
        from .opendata import project_locations

        REFERENCES.register(access.referenceable_parks, key="park")
        register("parks", _("Parks"), "parks:list", access.may_open, order=27)
        jobs.register("parks", job_importer, "parks:import_job")
        panels.lead_detail.register(views.lead_panel, key="parks")
        locators.register(project_locations, key="parks")
        landcache.watch()
