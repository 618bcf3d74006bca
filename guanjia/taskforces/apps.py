from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskforcesConfig(AppConfig):
    name = "guanjia.taskforces"
    label = "taskforces"
    verbose_name = _("Task forces")
