"""Policy rules in action: saving policies and profiles, matching, and the delivery states."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, IntegerField, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.core import files
from guanjia.core.audit import audited_save, record
from guanjia.core.bounds import AMOUNT_WAN_MAX
from guanjia.core.models import AuditAction
from guanjia.enterprises.models import Enterprise
from guanjia.notifications.services import batched, notify
from guanjia.regions.models import Region

from . import rules
from .access import can_edit_policies, can_record_grant, may_apply, may_open_deliveries
from .models import (
    KEPT_STATUSES,
    EnterpriseProfile,
    MatchStatus,
    Policy,
    PolicyDocument,
    PolicyMatch,
)

# ----------------------------------------------------------------------------- who may: access.py


# ----------------------------------------------------------------------------- saving


def save_policy(actor: User, policy: Policy, documents: Sequence[File] = ()) -> Policy:  # type: ignore[type-arg]
    """Validate, save and audit a policy with any new documents (all checked before anything
    is written: one refused file saves nothing); its matching runs as a task once committed."""
    if not can_edit_policies(actor):
        raise PermissionDenied
    try:
        checked = [(upload, *files.fingerprint(upload)) for upload in documents]
    except ValidationError as exc:
        raise ValidationError({"documents": exc.messages}) from exc
    with files.removed_on_failure(), transaction.atomic():
        audited_save(policy, actor)
        for upload, kind, sha256, original in checked:
            document = PolicyDocument(
                policy=policy,
                name=original,
                content_type=files.TYPES[kind],
                size=upload.size or 0,
                sha256=sha256,
                uploaded_by=actor,
            )
            files.store(document.file, kind, upload)
            document.save()
            record(actor, AuditAction.CREATE, document)
        pk = policy.pk
        transaction.on_commit(lambda: _enqueue_policy(pk), robust=True)
    return policy


def remove_document(actor: User, document: PolicyDocument, reason: str) -> None:
    """Take a document off a policy, saying why (audited); its file goes once the deletion
    commits."""
    if not can_edit_policies(actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("say why the document is removed")})
    with transaction.atomic():
        record(actor, AuditAction.DELETE, document, before={"name": document.name}, note=reason)
        files.delete_on_commit(document.file)
        document.delete()


def save_profile(
    actor: User,
    enterprise: Enterprise,
    *,
    headcount: int | None,
    high_tech: bool,
    tags: str,
) -> EnterpriseProfile:
    """Set an enterprise's policy facts; its matching runs as a task once committed."""
    with transaction.atomic():
        profile = EnterpriseProfile.objects.filter(enterprise=enterprise).first()
        profile = profile or EnterpriseProfile(enterprise=enterprise)
        profile.headcount = headcount
        profile.high_tech = high_tech
        profile.tags = tags
        audited_save(profile, actor)
        pk = enterprise.pk
        transaction.on_commit(lambda: enterprise_changed(pk), robust=True)
    return profile


def enterprise_changed(enterprise_id: int) -> None:
    """Call when an enterprise's facts changed (its record, profile or projects)."""
    from .tasks import rematch_enterprise

    rematch_enterprise.enqueue(enterprise_id)


def everything_changed() -> None:
    """Call after a bulk change of enterprise facts: one full re-match as a task."""
    from .tasks import rematch_all

    rematch_all.enqueue()


def _enqueue_policy(policy_id: int) -> None:
    from .tasks import rematch_policy

    rematch_policy.enqueue(policy_id)


# ----------------------------------------------------------------------------- matching


def _new_status(policy: Policy) -> str:
    return MatchStatus.GRANTED if policy.automatic else MatchStatus.NEW


def match_policy(policy: Policy, *, send: bool = True) -> tuple[int, int]:
    """Re-match one policy against every enterprise, in two set-based statements: insert the
    enterprises that qualify and have no delivery yet (INSERT … SELECT), delete the deliveries
    that no longer hold unless the enterprise acted on them. Returns (added, removed)."""
    with transaction.atomic():
        current = PolicyMatch.objects.filter(policy=policy)
        if not policy.active:
            removed, _detail = current.exclude(status__in=KEPT_STATUSES).delete()
            return 0, removed
        eligible = Enterprise.objects.filter(rules.to_q(policy.rule))
        removed, _detail = (
            current.exclude(status__in=KEPT_STATUSES)
            .exclude(enterprise_id__in=eligible.values("pk"))
            .delete()
        )
        now = timezone.now()
        fresh = (
            eligible.exclude(pk__in=current.values("enterprise_id"))
            .order_by()
            .annotate(
                _policy=Value(policy.pk, output_field=IntegerField()),
                _status=Value(_new_status(policy), output_field=CharField()),
                _matched=Value(now, output_field=DateTimeField()),
                _granted=Value(now if policy.automatic else None, output_field=DateTimeField()),
            )
            .values_list("pk", "_policy", "_status", "_matched", "_granted")
        )
        sql, params = fresh.query.sql_with_params()
        table = connection.ops.quote_name(PolicyMatch._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (enterprise_id, policy_id, status, matched_at, granted_at) "
                f"{sql} RETURNING id",
                params,
            )
            added = [row[0] for row in cursor.fetchall()]
        if send and added:
            _tell(PolicyMatch.objects.filter(pk__in=added))
    return len(added), removed


def match_enterprise(enterprise: Enterprise, *, send: bool = True) -> tuple[int, int]:
    """Re-match one enterprise against every active policy, evaluating the rules in Python on
    its facts (one load, no query per policy). Returns (added, removed)."""
    with transaction.atomic():
        facts = rules.facts_for(enterprise)
        policies = list(Policy.objects.filter(active=True).only("pk", "rule", "automatic"))
        holding = {p.pk for p in policies if rules.evaluate(p.rule, facts)}
        current = dict(
            PolicyMatch.objects.filter(enterprise=enterprise).values_list("policy_id", "status")
        )
        stale = [pk for pk, status in current.items() if pk not in holding]
        removed = 0
        if stale:
            removed, _detail = (
                PolicyMatch.objects.filter(enterprise=enterprise, policy_id__in=stale)
                .exclude(status__in=KEPT_STATUSES)
                .delete()
            )
        now = timezone.now()
        new = [
            PolicyMatch(
                policy=p,
                enterprise=enterprise,
                status=_new_status(p),
                matched_at=now,
                granted_at=now if p.automatic else None,
            )
            for p in policies
            if p.pk in holding and p.pk not in current
        ]
        if new:
            PolicyMatch.objects.bulk_create(new)
            if send:
                _tell(
                    PolicyMatch.objects.filter(
                        enterprise=enterprise, policy_id__in=[m.policy_id for m in new]
                    )
                )
    return len(new), removed


def match_all(*, send: bool = True) -> tuple[int, int]:
    """Full re-match: every enterprise's facts into one flat, ordered and indexed temporary
    table (one query), then per policy one DELETE and one INSERT … SELECT over it, set-based.
    Returns (added, removed)."""
    table = connection.ops.quote_name(PolicyMatch._meta.db_table)
    kept = list(KEPT_STATUSES)
    kept_sql = ", ".join(["%s"] * len(kept))
    paths = dict(Region.objects.values_list("code", "path"))
    postgres = connection.vendor == "postgresql"
    added: list[int] = []
    removed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {rules.FACTS_TABLE}")
        cursor.execute(rules.facts_table_sql())
        for column in rules.FACTS_INDEXES:
            name = f"{rules.FACTS_TABLE}_{column}"
            cursor.execute(f"CREATE INDEX {name} ON {rules.FACTS_TABLE} ({column})")
        cursor.execute(f"ANALYZE {rules.FACTS_TABLE}")
        for policy in Policy.objects.order_by("pk"):
            if not policy.active:
                cursor.execute(
                    f"DELETE FROM {table} WHERE policy_id = %s AND status NOT IN ({kept_sql})",  # noqa: S608
                    [policy.pk, *kept],
                )
                removed += cursor.rowcount
                continue
            where, params = rules.flat_sql(policy.rule, paths)
            now = timezone.now()
            new_values: list[Any] = [_new_status(policy), now, now if policy.automatic else None]
            # Table names are constants, the condition is compiled; values are parameters.
            if postgres:
                # One read of the facts for both halves: the eligible set, materialised once.
                both = (
                    f"WITH elig AS MATERIALIZED (SELECT id FROM {rules.FACTS_TABLE} WHERE {where}), "  # noqa: S608
                    f"del AS (DELETE FROM {table} m WHERE m.policy_id = %s "
                    f"AND m.status NOT IN ({kept_sql}) "
                    "AND m.enterprise_id NOT IN (SELECT id FROM elig) "
                    "RETURNING 1), "
                    f"ins AS (INSERT INTO {table} "
                    "(enterprise_id, policy_id, status, matched_at, granted_at) "
                    "SELECT elig.id, %s, %s, %s, %s FROM elig WHERE elig.id NOT IN "
                    f"(SELECT enterprise_id FROM {table} WHERE policy_id = %s) "
                    "ON CONFLICT DO NOTHING RETURNING id) "
                    "SELECT (SELECT count(*) FROM del), (SELECT array_agg(id) FROM ins)"
                )
                cursor.execute(both, [*params, policy.pk, *kept, policy.pk, *new_values, policy.pk])
                gone, ids = cursor.fetchone()
                removed += gone
                added += ids or []
                continue
            stale = (
                f"DELETE FROM {table} WHERE policy_id = %s AND status NOT IN ({kept_sql}) "  # noqa: S608
                f"AND enterprise_id NOT IN (SELECT id FROM {rules.FACTS_TABLE} WHERE {where})"
            )
            cursor.execute(stale, [policy.pk, *kept, *params])
            removed += cursor.rowcount
            fresh = (
                f"INSERT INTO {table} (enterprise_id, policy_id, status, matched_at, granted_at) "  # noqa: S608
                f"SELECT id, %s, %s, %s, %s FROM {rules.FACTS_TABLE} WHERE ({where}) "
                f"AND id NOT IN (SELECT enterprise_id FROM {table} WHERE policy_id = %s) "
                "RETURNING id"
            )
            cursor.execute(fresh, [policy.pk, *new_values, *params, policy.pk])
            added += [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {rules.FACTS_TABLE}")
        if send and added:
            for start in range(0, len(added), 5000):
                _tell(PolicyMatch.objects.filter(pk__in=added[start : start + 5000]))
    return len(added), removed


def _tell(matches: QuerySet[PolicyMatch]) -> None:
    """Each new delivery to the enterprise's contacts and its steward, in one batch."""
    rows = list(matches.select_related("policy", "enterprise__steward"))
    contacts: dict[int, list[User]] = {}
    for user in User.objects.filter(
        role=Role.ENTERPRISE, is_active=True, enterprise_id__in={m.enterprise_id for m in rows}
    ):
        contacts.setdefault(user.enterprise_id or 0, []).append(user)
    with batched():
        for m in rows:
            url = reverse("policies:match", args=[m.pk])
            title = (
                _("Policy granted to you: %(title)s")
                if m.policy.automatic
                else _("A policy for you: %(title)s")
            ) % {"title": m.policy.title}
            notify(
                contacts.get(m.enterprise_id, []),
                kind="policy.matched",
                title=title,
                body=m.policy.benefit[:500],
                url=url,
                target=m,
            )
            notify(
                [m.enterprise.steward],
                kind="policy.matched",
                title=_("%(enterprise)s qualifies for %(title)s")
                % {"enterprise": m.enterprise.name, "title": m.policy.title},
                url=url,
                target=m,
            )


# ----------------------------------------------------------------------------- delivery


def reasons(match: PolicyMatch) -> list[str]:
    """Why the policy matched this enterprise, from its facts now."""
    return rules.explain(match.policy.rule, rules.facts_for(match.enterprise))


def mark_read(user: User, match: PolicyMatch) -> PolicyMatch:
    """The enterprise opened the delivery (only its own contacts count)."""
    if not may_open_deliveries(user) or match.status != MatchStatus.NEW:
        return match
    with transaction.atomic():
        match.status = MatchStatus.READ
        match.read_at = timezone.now()
        match.save(update_fields=["status", "read_at"])
        record(user, AuditAction.UPDATE, match, after={"status": match.status})
    return match


def mark_applied(user: User, match: PolicyMatch) -> PolicyMatch:
    """The enterprise says it has applied."""
    if not may_apply(user, match):
        raise PermissionDenied
    if match.status not in (MatchStatus.NEW, MatchStatus.READ):
        raise ValidationError(_("This delivery cannot be marked applied any more."))
    with transaction.atomic():
        before = {"status": match.status}
        match.status = MatchStatus.APPLIED
        now = timezone.now()
        match.applied_at = now
        match.read_at = match.read_at or now
        match.save(update_fields=["status", "applied_at", "read_at"])
        record(user, AuditAction.UPDATE, match, before=before, after={"status": match.status})
    return match


def record_outcome(
    user: User, match: PolicyMatch, *, granted: bool, amount_wan: Decimal | None = None
) -> PolicyMatch:
    """Staff record the outcome: granted (兑现, with the amount) or rejected."""
    if not can_record_grant(user, match):
        raise PermissionDenied
    if amount_wan is not None and amount_wan < 0:
        raise ValidationError(_("The amount cannot be negative."))
    with transaction.atomic():
        before = {"status": match.status, "granted_amount_wan": str(match.granted_amount_wan)}
        match.status = MatchStatus.GRANTED if granted else MatchStatus.REJECTED
        match.granted_at = timezone.now() if granted else None
        match.granted_amount_wan = amount_wan if granted else None
        match.granted_by = user
        match.save(update_fields=["status", "granted_at", "granted_amount_wan", "granted_by"])
        record(
            user,
            AuditAction.UPDATE,
            match,
            before=before,
            after={"status": match.status, "granted_amount_wan": str(match.granted_amount_wan)},
        )
    return match


def parse_amount(raw: Any) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise ValidationError(_("Enter the amount as a number.")) from None
    if not amount.is_finite():
        raise ValidationError(_("Enter the amount as a number."))
    if not 0 <= amount <= AMOUNT_WAN_MAX or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            _("Enter an amount from 0 to %(max)s (10k yuan), to the hundredth.")
            % {"max": AMOUNT_WAN_MAX}
        )
    return amount
