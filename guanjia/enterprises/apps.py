from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "guanjia.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self) -> None:
        """Plug the enterprise rules into the apps below (see `guanjia.core.hooks`)."""
        from guanjia.accounts.masking import revealable
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core.nav import register

        from . import access

        REFERENCES.register(access.referenceable_enterprises, key="enterprise")
        revealable("contact", ("phone", "id_number"), access.get_contact)
        register(
            "enterprises",
            _("Enterprises"),
            "enterprises:enterprise_list",
            access.may_open,
            order=30,
        )
