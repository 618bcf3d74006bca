from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanjia.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import security  # noqa: F401  (connects the log-in signal)

        # A TOTP device's secret never goes into the audit log.
        TOTPDevice._meta.get_field("key").audit_exclude = True  # type: ignore[attr-defined]
