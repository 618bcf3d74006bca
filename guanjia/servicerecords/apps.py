from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRecordsConfig(AppConfig):
    name = "guanjia.servicerecords"
    label = "servicerecords"
    verbose_name = _("Service records")
