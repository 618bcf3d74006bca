"""People: one user model with a role and the scope the role applies to."""

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import validate_name


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City admin")
    AREA_OFFICIAL = "area_official", _("Area official")
    STEWARD = "steward", _("Project steward")
    HANDLER = "handler", _("Department handler")
    LEADER = "leader", _("Leader")
    ENTERPRISE = "enterprise", _("Enterprise contact")


# Roles that may change the ledger; the others read within their scope (403 on writes).
WRITER_ROLES = {Role.CITY_ADMIN, Role.AREA_OFFICIAL, Role.STEWARD}


class Department(models.Model):
    name = models.CharField(_("name"), max_length=60, validators=[validate_name])
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    # 负责人: who hears when the department's queue is not worked (unclaimed requests).
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("head of department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STEWARD)
    display_name = models.CharField(
        _("display name"), max_length=60, blank=True, validators=[validate_name]
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The subtree a staff member works in (a city for bureau staff, a county for its officials).
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    # When the password was last set: 等保 mode sends people to change it after
    # GUANJIA_PASSWORD_MAX_AGE_DAYS (see guanjia.accounts.security).
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("unmask_personal_data", _("Can reveal masked phone and ID numbers (audited)")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def can_write(self) -> bool:
        return self.is_superuser or self.role in WRITER_ROLES

    # --- users are deactivated, never deleted ------------------------------------------
    # Who did what stays in the audit log: its actor column PROTECTs the user (core
    # migration 0005), so the database refuses a delete on both engines.

    def deactivate(self, actor: "User | None", note: str = "") -> bool:
        """Take the account out of use: log-in refused, its sessions ended, its API tokens
        revoked; audited. Idempotent; True when the account was active until now."""
        from django.db import transaction

        from guanjia.core.audit import record
        from guanjia.core.models import AuditAction

        with transaction.atomic():
            was_active = type(self)._default_manager.filter(pk=self.pk, is_active=True).exists()
            type(self)._default_manager.filter(pk=self.pk).update(is_active=False)
            self.is_active = False
            revoked = ApiToken.objects.filter(user=self, revoked=False).update(revoked=True)
            ended = self._end_sessions()
            if was_active or revoked or ended:
                record(
                    actor,
                    AuditAction.UPDATE,
                    self,
                    before={"is_active": was_active},
                    after={"is_active": False},
                    note=(
                        f"deactivated: {revoked} API token(s) revoked, {ended} session(s) ended"
                        + (f"; {note}" if note else "")
                    ),
                )
        return was_active

    def _end_sessions(self) -> int:
        """Delete the user's stored sessions (database-backed engines; with any engine the
        session of an inactive user is refused at its next request anyway)."""
        from importlib import import_module

        from django.conf import settings
        from django.contrib.sessions.models import Session

        if settings.SESSION_ENGINE not in (
            "django.contrib.sessions.backends.db",
            "django.contrib.sessions.backends.cached_db",
        ):
            return 0
        store = import_module(settings.SESSION_ENGINE).SessionStore
        ended = 0
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == str(self.pk):
                store(session.session_key).delete()  # the cached copy too
                ended += 1
        return ended

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Never deletes: deactivates (recorded with no actor; callers who know who asked
        call `deactivate(actor)`). Returns the count of rows deleted: none."""
        self.deactivate(None, note="a delete was asked for: deactivated instead")
        return 0, {}


class UserDeletionRefused(PermissionError):
    """A bulk delete reached users (User.objects.filter(…).delete(), a cascade)."""


@receiver(pre_delete, sender=User)
def _refuse_user_delete(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Django's deletion collector sends this before deleting anything, inside its
    # transaction: refusing here refuses the whole delete.
    raise UserDeletionRefused(
        f"users are deactivated, never deleted: call deactivate() on {instance.username!r}"
    )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def user_for(self, raw: str) -> "User | None":
        # The user with their region, which every scoped query reads: one query for both.
        token = (
            self.filter(key_hash=_hash_token(raw), revoked=False)
            .select_related("user", "user__region")
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        return token.user


class ApiToken(models.Model):
    """A machine's bearer token; only its hash is stored, the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, blank=True, validators=[validate_name])
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        raw = "gj_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:8], key_hash=_hash_token(raw))
        return token, raw


class TwoFactorRequirement(models.Model):
    """A role whose members must use a TOTP second factor (set by a city admin)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    required = models.BooleanField(_("two-factor required"), default=True)

    class Meta:
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")
        ordering = ["role"]

    def __str__(self) -> str:
        return str(self.get_role_display())

    @classmethod
    def required_for(cls, user: "User") -> bool:
        return cls.objects.filter(role=user.role, required=True).exists()
