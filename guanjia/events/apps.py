from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "guanjia.events"
    label = "events"
    verbose_name = _("Events and signings")

    def ready(self) -> None:
        """Plug the event rules into the apps below (see `guanjia.core.hooks`)."""
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core.nav import register
        from guanjia.enterprises import access as enterprise_access
        from guanjia.enterprises import services as enterprise_services
        from guanjia.enterprises import views as enterprise_views

        from . import access, services

        REFERENCES.register(access.referenceable_events, key="event")
        enterprise_access.ties.register(access.enterprise_tie, key="events", order=1)
        enterprise_views.detail_parts.register(access.enterprise_events, key="events", order=1)
        enterprise_services.on_merge.register(services.merge_enterprise, key="events", order=1)
        register("events", _("Events"), "events:event_list", access.may_open, order=40)
