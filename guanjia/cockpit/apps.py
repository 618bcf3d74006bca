from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    name = "guanjia.cockpit"
    label = "cockpit"
    verbose_name = _("Leaders' cockpit")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav); the rollups' age in /metrics."""
        from guanjia.core import metrics
        from guanjia.core.nav import register

        from . import access
        from .metrics import rollups

        register("cockpit", _("Cockpit"), "cockpit:index", access.may_open, order=10)
        metrics.figures.register(rollups, key="cockpit.rollups")
