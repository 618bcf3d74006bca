"""Changing enterprises: create, update and merge duplicates, all audited."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from guanjia.core.audit import audited_save, record, snapshot
from guanjia.core.hooks import Hooks
from guanjia.core.models import AuditAction

from . import creditcode
from .models import Contact, Enterprise

# The apps above this one plug in here in their AppConfig.ready():
# - on_facts_changed(enterprise_id) / on_many_facts_changed(): called once a change of an
#   enterprise's facts (or a bulk change) commits (policies: re-match the enterprise);
# - on_merge(keep, duplicate): move what refers to the duplicate onto the enterprise kept
#   (projects: their enterprise and partners; events: signings and participants);
# - on_steward_changed(enterprise, previous_steward_id, actor): the enterprise was given
#   another steward, in the same transaction (requests: its open requests follow).
on_facts_changed: Hooks[Callable[[int], None]] = Hooks("enterprises.services.on_facts_changed")
on_many_facts_changed: Hooks[Callable[[], None]] = Hooks(
    "enterprises.services.on_many_facts_changed"
)
on_merge: Hooks[Callable[[Enterprise, Enterprise], None]] = Hooks("enterprises.services.on_merge")
on_steward_changed: Hooks[Callable[[Enterprise, int | None, Any], object]] = Hooks(
    "enterprises.services.on_steward_changed"
)


def steward_of(enterprise: Enterprise) -> Any:
    """The enterprise's steward (项目管家): the one person who serves it, named on its company
    page, owning each of its requests and shown to its contacts on every page. A project may
    have a steward of its own for the bureau's work on it (another county's, say), but the
    enterprise talks to one person: this one. None without an active steward (its requests
    then go to the area's officials)."""
    steward = enterprise.steward if enterprise.steward_id else None
    return steward if steward is not None and steward.is_active else None


def find_duplicate(credit_code: str | None, exclude_pk: int | None = None) -> Enterprise | None:
    if not credit_code:
        return None
    qs = Enterprise.objects.filter(credit_code=creditcode.normalise(credit_code))
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


# rapidfuzz's score (0-100) at or above which two names are offered as "maybe the same".
SIMILAR_CUTOFF = 85
# Words that every company name ends with: compared without them, 锦州石化有限公司 and
# 锦州石化股份有限公司 are the same name.
_NAME_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司", "分公司")


def core_name(name: str) -> str:
    """The part of a company name that tells it apart: no spaces, brackets unified, the legal
    form (有限公司…) dropped."""
    text = "".join((name or "").split()).replace("（", "(").replace("）", ")")
    for suffix in _NAME_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def similar_enterprises(
    name: str,
    among: QuerySet[Enterprise],
    *,
    exclude_pk: int | None = None,
    limit: int = 5,
    cutoff: int = SIMILAR_CUTOFF,
) -> list[tuple[Enterprise, float]]:
    """Enterprises of `among` (what the asker may see) whose name is close to `name`, best
    first, with their score: a probable duplicate to look at before creating another."""
    wanted = core_name(name)
    if not wanted:
        return []
    qs = among.exclude(pk=exclude_pk) if exclude_pk else among
    choices = {pk: core_name(other) for pk, other in qs.values_list("pk", "name")}
    found = process.extract(wanted, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit)
    by_pk = Enterprise.objects.in_bulk([pk for _name, _score, pk in found])
    return [(by_pk[pk], score) for _name, score, pk in found if pk in by_pk]


def may_name(actor: Any, dupe: Enterprise) -> bool:
    """Whether a refusal may tell `actor` which enterprise already has a credit code: only one
    they may reference (`access.referenceable_enterprises`); the system (None) may know."""
    if actor is None:
        return True
    from .access import referenceable_enterprises

    return referenceable_enterprises(actor).filter(pk=dupe.pk).exists()


def duplicate_message(actor: Any, dupe: Enterprise) -> str:
    """Why a credit code is refused as taken: naming the enterprise that has it when the actor
    may see it, otherwise without its name or id (another area's enterprise stays unknown)."""
    if may_name(actor, dupe):
        return _("this credit code already belongs to “%(name)s” (no. %(pk)s)") % {
            "name": dupe.name,
            "pk": dupe.pk,
        }
    return _(
        "an enterprise with this credit code is already registered; ask the city bureau to give "
        "you access or merge"
    )


def _check_unique(enterprise: Enterprise, actor: Any = None) -> None:
    dupe = find_duplicate(enterprise.credit_code, enterprise.pk)
    if dupe is not None:
        raise ValidationError(
            {"credit_code": duplicate_message(actor, dupe)}, code="duplicate_credit_code"
        )


def facts_changed(enterprise_id: int) -> None:
    """Once the change commits, re-match the enterprise against the policies (a task)."""
    for changed in on_facts_changed:
        transaction.on_commit(partial(changed, enterprise_id), robust=True)


def many_facts_changed() -> None:
    """After a bulk change (an import), one full re-match once it commits (a task), rather
    than one task per enterprise."""
    for changed in on_many_facts_changed:
        transaction.on_commit(changed, robust=True)


@transaction.atomic
def create_enterprise(actor: Any, **fields: Any) -> Enterprise:
    interests = fields.pop("interests", None)
    enterprise = Enterprise(**fields)
    enterprise.clean()
    _check_unique(enterprise, actor)
    audited_save(enterprise, actor)
    if interests:
        enterprise.interests.set(interests)
    facts_changed(enterprise.pk)
    return enterprise


@transaction.atomic
def update_enterprise(enterprise: Enterprise, actor: Any, **fields: Any) -> Enterprise:
    interests = fields.pop("interests", None)
    previous_steward = enterprise.steward_id
    for name, value in fields.items():
        setattr(enterprise, name, value)
    enterprise.clean()
    _check_unique(enterprise, actor)
    audited_save(enterprise, actor)
    if interests is not None:
        enterprise.interests.set(interests)
    if enterprise.steward_id != previous_steward:
        for follow in on_steward_changed:
            follow(enterprise, previous_steward, actor)
    facts_changed(enterprise.pk)
    return enterprise


@transaction.atomic
def add_contact(enterprise: Enterprise, actor: Any, **fields: Any) -> Contact:
    contact = Contact(enterprise=enterprise, **fields)
    return audited_save(contact, actor)  # type: ignore[return-value]


@transaction.atomic
def merge(keep: Enterprise, duplicate: Enterprise, actor: Any, reason: str) -> Enterprise:
    """Fold a duplicate into the enterprise we keep: projects, signings, contacts, users move.

    The duplicate's credit code is kept if the survivor has none.
    """
    if keep.pk == duplicate.pk:
        raise ValidationError(_("an enterprise cannot be merged into itself"))
    if not reason.strip():
        raise ValidationError({"reason": _("say why these are the same enterprise")})
    before = {"kept": snapshot(keep), "merged": snapshot(duplicate)}
    for move in on_merge:
        move(keep, duplicate)
    Contact.objects.filter(enterprise=duplicate).update(enterprise=keep)
    duplicate.users.update(enterprise=keep)
    keep.interests.add(*duplicate.interests.all())
    filled = False
    for name in ("group", "contact_source", "home_city"):
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
            filled = True
    code = duplicate.credit_code
    record(actor, AuditAction.MERGE, keep, before=before, after=snapshot(keep), note=reason)
    record(actor, AuditAction.DELETE, duplicate, note=_("merged into %(pk)s") % {"pk": keep.pk})
    duplicate.delete()
    if code and not keep.credit_code:
        keep.credit_code = code
        filled = True
    if filled:
        audited_save(keep, actor, note=reason)
    return keep
