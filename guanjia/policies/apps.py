from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "guanjia.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self) -> None:
        """Re-match enterprises against the policies when their facts change; menu entries."""
        from guanjia.core.nav import register
        from guanjia.enterprises import services as enterprise_services

        from . import access, services

        enterprise_services.on_facts_changed.register(services.enterprise_changed, key="policies")
        enterprise_services.on_many_facts_changed.register(
            services.everything_changed, key="policies"
        )
        register(
            "policies_for_you",
            _("Policies for you"),
            "policies:for_you",
            access.may_open_deliveries,
            order=70,
        )
        register("policies", _("Policies"), "policies:library", access.may_open_library, order=71)
