from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guanjia.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        """Be how core tells people (`guanjia.core.hooks.notifiers`); the outbox in /metrics."""
        from guanjia.core import metrics
        from guanjia.core.hooks import notifiers

        from .metrics import outbox
        from .models import GroupRobot, WebhookEndpoint
        from .services import notify
        from .webhooks import OUTSIDE

        notifiers.register(notify, key="notifications")
        metrics.figures.register(outbox, key="notifications.outbox")
        OUTSIDE.watch([WebhookEndpoint, GroupRobot])
