from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "guanjia.targets"
    label = "targets"
    verbose_name = _("Targets")

    def ready(self) -> None:
        """The menu entries of this app (guanjia.core.nav)."""
        from guanjia.core.nav import register

        from . import access

        register("targets", _("Targets"), "targets:board", access.may_open, order=80)
