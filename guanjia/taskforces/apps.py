from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskforcesConfig(AppConfig):
    name = "guanjia.taskforces"
    label = "taskforces"
    verbose_name = _("Task forces")

    def ready(self) -> None:
        """Late action items of the task force show among a project's holding reasons."""
        from guanjia.projects import holding

        from . import services

        holding.holders.register(services.holding_many, key="taskforces", order=2)
