from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guanjia.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        """Be how core tells people (`guanjia.core.hooks.notifiers`)."""
        from guanjia.core.hooks import notifiers

        from .services import notify

        notifiers.register(notify, key="notifications")
