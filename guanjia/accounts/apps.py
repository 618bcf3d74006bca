from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanjia.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from guanjia.core.admin import admin_rules
        from guanjia.core.nav import register

        from . import security  # noqa: F401  (connects the log-in signal)
        from .scope import is_admin

        # A TOTP device's secret never goes into the audit log.
        TOTPDevice._meta.get_field("key").audit_exclude = True  # type: ignore[attr-defined]

        # Who may open the configuration (Django's admin), and its menu entry.
        admin_rules.register(is_admin, key="accounts")
        register("configuration", _("Configuration"), "admin:index", is_admin, order=120)
