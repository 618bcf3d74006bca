from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuaranteesConfig(AppConfig):
    name = "guanjia.guarantees"
    label = "guarantees"
    verbose_name = _("Element guarantees")

    def ready(self) -> None:
        """Unmet guarantees hold a project's stage move and show among its holding reasons; a
        plot transferred to a project fills its land guarantee."""
        from guanjia.projects import holding
        from guanjia.projects import services as project_services

        from . import services

        project_services.stage_gates.register(services.blocking_message, key="guarantees")
        holding.holders.register(services.holding_many, key="guarantees", order=0)
        project_services.land_taken.register(services.fill_land, key="guarantees")
