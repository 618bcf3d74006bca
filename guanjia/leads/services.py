"""Entering and working leads: every mutation checked, atomic and audited; the status moves
only through the steps of `STEPS` (the step engine, `guanjia.core.steps`).

`prepare_lead` and `prepare_record` hold every rule, so the pages and the API check a lead and
a negotiation record the same way. Signing a lead creates the ledger project, or continues the
one it names, through `projects.services` (the project's own stage move): nothing is typed
twice.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import Department, User
from guanjia.accounts.scope import ReferenceOutOfScope, check_reference
from guanjia.core.audit import audited_save
from guanjia.core.steps import Change, Field, Step, StepTable, run
from guanjia.enterprises.models import Enterprise
from guanjia.industries.models import Industry
from guanjia.projects import services as project_services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region

from . import access
from .models import DATE_FIELD, OPEN, Kind, Lead, NegotiationRecord, Status, Trip, Visit


class LeadError(ValidationError):
    """A step the lead's status or its facts do not allow; the message says why."""


def today() -> dt.date:
    return timezone.localdate()


EDITABLE_FIELDS = (
    "investor",
    "name",
    "industry",
    "investment_wan",
    "land_mu",
    "power_kva",
    "energy_tce",
    "water_tons",
    "workers",
    "needs_port",
    "needs_rail",
    "max_price_wan_per_mu",
    "source",
    "region",
    "department",
    "owner",
    "project",
    "notes",
)
# The project stages a lead may continue: the front of the lifecycle, not yet signed.
CONTINUABLE = (Stage.LEAD, Stage.NEGOTIATING)


def _ref(actor: User, kind: str, value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    """A reference the actor may make, or an error on `field` worded as for a missing one."""
    try:
        return check_reference(actor, kind, value, field=field)
    except ReferenceOutOfScope:
        errors.setdefault(field, []).append(_("Select a valid choice."))
        return None


def prepare_lead(
    actor: User,
    lead: Lead,
    *,
    investor: Enterprise | int | None,
    name: str,
    region: Region | int,
    owner: User | int | None = None,
    source: str,
    industry: Industry | None = None,
    investment_wan: Decimal = Decimal(0),
    land_mu: Decimal | None = None,
    power_kva: Decimal | None = None,
    energy_tce: Decimal | None = None,
    water_tons: Decimal | None = None,
    workers: int | None = None,
    needs_port: bool | None = None,
    needs_rail: bool | None = None,
    max_price_wan_per_mu: Any = ...,
    department: Department | int | None = None,
    project: Project | int | None = None,
    notes: str = "",
    trusted_investor: Enterprise | None = None,
) -> Lead:
    """Check the facts and put them on `lead` (not saved). PermissionDenied for a role that
    works no leads; ValidationError naming the field for the rest. A reference the actor may
    not make (another area's investor, project, owner or area) reads as a missing record."""
    if not access.can_create(actor):
        raise PermissionDenied("this role does not work leads")
    errors: dict[str, list[str]] = {}
    unchanged = lead.pk is not None
    keep = lambda f, v: unchanged and getattr(v, "pk", v) == getattr(lead, f"{f}_id")  # noqa: E731
    if trusted_investor is not None:  # just created by the actor, with this lead
        investor_obj = trusted_investor
    elif investor is None:
        investor_obj = None
        errors.setdefault("investor", []).append(_("Choose the investor."))
    elif keep("investor", investor):
        investor_obj = lead.investor
    else:
        investor_obj = _ref(actor, "enterprise", investor, "investor", errors)
    region_obj = (
        lead.region if keep("region", region) else _ref(actor, "region", region, "region", errors)
    )
    department_obj = (
        lead.department
        if keep("department", department)
        else _ref(actor, "department", department, "department", errors)
    )
    if owner is None:
        owner = lead.owner if unchanged else actor
    owner_obj = lead.owner if keep("owner", owner) else None
    if owner_obj is None:
        owner_obj = (
            access.referenceable_owners(actor).filter(pk=getattr(owner, "pk", owner)).first()
        )
        if owner_obj is None:
            errors.setdefault("owner", []).append(_("Select a valid choice."))
    project_obj = (
        lead.project
        if keep("project", project)
        else _ref(actor, "project", project, "project", errors)
    )
    if project_obj is not None and investor_obj is not None and not keep("project", project):
        if project_obj.enterprise_id != investor_obj.pk:
            errors.setdefault("project", []).append(
                _("The project “%(project)s” is not a project of %(investor)s.")
                % {"project": project_obj, "investor": investor_obj}
            )
        elif Lead.objects.filter(project=project_obj).exclude(pk=lead.pk).exists():
            errors.setdefault("project", []).append(_("This project already has a lead."))
        elif project_obj.stage not in CONTINUABLE:
            errors.setdefault("project", []).append(
                _("Only a project at the lead or negotiation stage can be continued by a lead.")
            )
    if errors:
        raise ValidationError(errors)
    assert investor_obj is not None and owner_obj is not None
    lead.investor = investor_obj
    lead.name = (name or "").strip()
    lead.region = region_obj
    lead.department = department_obj
    lead.owner = owner_obj
    lead.source = source
    lead.industry = industry
    lead.investment_wan = investment_wan if investment_wan is not None else Decimal(0)
    lead.land_mu, lead.power_kva, lead.energy_tce = land_mu, power_kva, energy_tce
    lead.water_tons, lead.workers = water_tons, workers
    # The land needs (None: as they were, for the importer that has no column for them).
    if needs_port is not None:
        lead.needs_port = needs_port
    if needs_rail is not None:
        lead.needs_rail = needs_rail
    if max_price_wan_per_mu is not ...:
        lead.max_price_wan_per_mu = max_price_wan_per_mu
    lead.project = project_obj
    lead.notes = (notes or "").strip()
    if lead.pk is None:
        lead.created_by = actor
        lead.status = Status.LEAD
        lead.lead_on = lead.lead_on or today()
    lead.full_clean()
    return lead


@transaction.atomic
def create_lead(actor: User, *, new_investor: dict[str, Any] | None = None, **fields: Any) -> Lead:
    """Enter a lead (status 线索) for an investor; the actor owns it unless they name an owner.

    `new_investor`: the facts of an investor not yet known (name, home city, group…), created
    with the lead in one transaction (the duplicate checks of `enterprises.services` apply)."""
    if not access.can_create(actor):
        raise PermissionDenied("this role does not work leads")
    trusted = None
    if new_investor:
        from guanjia.enterprises.services import create_enterprise

        try:
            trusted = create_enterprise(actor, **new_investor)
        except ValidationError as exc:
            raise ValidationError({"new_investor": exc.messages}) from exc
        fields["investor"] = trusted
    lead = prepare_lead(actor, Lead(), trusted_investor=trusted, **fields)
    audited_save(lead, actor)
    return lead


@transaction.atomic
def update_lead(lead: Lead, actor: User, **fields: Any) -> Lead:
    """Correct a lead's facts (never its status: that is a step)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    current = Lead.objects.select_for_update().get(pk=lead.pk)
    if not access.can_work(actor, current):
        raise PermissionDenied("you may not change this lead")
    values = {name: getattr(current, name) for name in EDITABLE_FIELDS}
    values.update(fields)
    prepare_lead(actor, current, **values)
    audited_save(current, actor)
    return current


# --- negotiation records ----------------------------------------------------------------------

RECORD_FIELDS = (
    "kind",
    "date",
    "place",
    "our_side",
    "their_side",
    "asked",
    "offered",
    "outcome",
    "next_step",
    "next_follow_up_on",
)


def prepare_record(actor: User, record: NegotiationRecord, **fields: Any) -> NegotiationRecord:
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise ValidationError(_("These cannot be set: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if record.date and record.date > today():
        errors["date"] = [_("A negotiation cannot be recorded in the future.")]
    if record.next_follow_up_on and record.date and record.next_follow_up_on < record.date:
        errors["next_follow_up_on"] = [_("The next follow-up comes after the meeting.")]
    if errors:
        raise ValidationError(errors)
    if record.pk is None:
        record.created_by = actor
    record.full_clean()
    return record


def _follow_up(lead: Lead) -> None:
    """The lead's last contact and next follow-up, from its records (the latest one's next
    date); a new date is reminded and escalated afresh."""
    latest = lead.records.order_by("-date", "-id").first()
    lead.last_contact_on = latest.date if latest else None
    lead.next_follow_up_on = latest.next_follow_up_on if latest else None
    if lead.next_follow_up_on != lead.reminded_for:
        lead.reminded_for = None
    if lead.next_follow_up_on != lead.escalated_for:
        lead.escalated_for = None


@transaction.atomic
def add_record(lead: Lead, actor: User, **fields: Any) -> NegotiationRecord:
    """Log one negotiation; the lead's last contact and next follow-up follow it."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not access.can_work(actor, locked):
        raise PermissionDenied("you may not work this lead")
    record = prepare_record(actor, NegotiationRecord(lead=locked), **fields)
    audited_save(record, actor)
    _follow_up(locked)
    audited_save(locked, actor, note=_("negotiation recorded"))
    return record


@transaction.atomic
def update_record(record: NegotiationRecord, actor: User, **fields: Any) -> NegotiationRecord:
    locked = Lead.objects.select_for_update().get(pk=record.lead_id)
    if not access.can_work(actor, locked):
        raise PermissionDenied("you may not work this lead")
    current = NegotiationRecord.objects.get(pk=record.pk)
    prepare_record(actor, current, **fields)
    audited_save(current, actor)
    _follow_up(locked)
    audited_save(locked, actor, note=_("negotiation corrected"))
    return current


# --- the steps ----------------------------------------------------------------------------------


def _on(on: dt.date | None, lead: Lead) -> dt.date:
    on = on or today()
    if on > today():
        raise LeadError({"on": _("A step cannot be dated in the future.")})
    previous = lead.stage_date(lead.status)
    if previous and on < previous:
        raise LeadError(
            {
                "on": _("The date %(on)s is before the lead reached its status (%(prev)s).")
                % {"on": on, "prev": previous}
            }
        )
    return on


def _advance(change: Change, on: dt.date | None = None, **_fields: Any) -> None:
    lead: Lead = change.obj
    target = change.step.target
    assert target is not None
    when = _on(on, lead)
    lead.status = target
    setattr(lead, DATE_FIELD[target], when)
    lead.status_reason = ""
    change.opts["on"] = when
    if target == Status.NEGOTIATING and lead.project_id:
        project = Project.objects.get(pk=lead.project_id)
        if project.stage == Stage.LEAD:
            project_services.transition(
                project, Stage.NEGOTIATING, change.actor, on=when, evidence=str(lead)
            )


def _sign(change: Change, on: dt.date | None = None, **_fields: Any) -> None:
    """Signed: the ledger project is continued (its own stage move to 签约) or created at 签约
    with the lead's facts, and the signing is recorded (`events.services.record_signing`: the
    signings the city counts, with the lead's intended investment as the contracted amount,
    signed by the lead's area); the lead then names the project."""
    lead: Lead = change.obj
    when = _on(on, lead)
    lead.status = Status.SIGNED
    lead.signed_on = when
    lead.status_reason = ""
    if lead.project_id:
        project = Project.objects.get(pk=lead.project_id)
        if project.stage in CONTINUABLE:
            _record_signing(change, project, lead, when)
    else:
        project = project_services.create_project(
            change.actor,
            stage=Stage.SIGNED,
            stage_on=when,
            name=lead.name,
            enterprise=lead.investor,
            region=lead.region,
            industry=lead.industry,
            total_investment_wan=lead.investment_wan,
            lead_on=lead.lead_on,
            negotiating_on=lead.negotiating_on,
        )
        _record_signing(change, project, lead, when)
        lead.project = project
    change.opts["on"] = when


def _record_signing(change: Change, project: Project, lead: Lead, when: dt.date) -> None:
    """The signing, counted once at the project's first signing (the events' rule); a project
    at 线索/在谈 moves to 签约 with it."""
    from guanjia.events.services import record_signing

    record_signing(
        change.actor,
        project=project,
        government=lead.region,
        signed_on=when,
        amount_wan=lead.investment_wan,
        note=_("signed (lead %(pk)s)") % {"pk": lead.pk},
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LeadError({"reason": _("Say why.")})
    return reason[:300]


def _pause(change: Change, on: dt.date | None = None, reason: str = "", **_f: Any) -> None:
    lead: Lead = change.obj
    why = _reason(reason)
    lead.paused_from = lead.status
    lead.status = Status.PAUSED
    lead.paused_on = _on(on, lead)
    lead.status_reason = why
    change.note = why


def _resume(change: Change, **_f: Any) -> None:
    lead: Lead = change.obj
    lead.status = lead.paused_from if lead.paused_from in OPEN else Status.LEAD
    lead.paused_from = ""
    lead.paused_on = None
    lead.status_reason = ""


def _drop(change: Change, on: dt.date | None = None, reason: str = "", **_f: Any) -> None:
    lead: Lead = change.obj
    why = _reason(reason)
    when = on or today()
    if when > today():
        raise LeadError({"on": _("A step cannot be dated in the future.")})
    lead.status = Status.DROPPED
    lead.dropped_on = when
    lead.status_reason = why
    change.note = why
    if lead.project_id:
        project = Project.objects.get(pk=lead.project_id)
        if project.stage in CONTINUABLE:
            project_services.transition(project, Stage.WITHDRAWN, change.actor, on=when, reason=why)


def _refused(lead: Lead, step: Step) -> str:
    return _("“%(step)s” is not possible for a lead that is “%(status)s”.") % {
        "step": step.label,
        "status": Status(lead.status).label,
    }


MAY = "guanjia.leads.access.may_step"
ON = Field("on")
REASON = Field("reason", required=True)

STEPS = StepTable(
    model=Lead,
    error=LeadError,
    refused=_refused,
    steps=[
        Step("contact", gettext_lazy("First contact"), frozenset({Status.LEAD}),
             Status.CONTACT, _advance, may=MAY, fields=(ON,),
             done=gettext_lazy("The lead is in first contact.")),
        Step("negotiate", gettext_lazy("Negotiate"), frozenset({Status.LEAD, Status.CONTACT}),
             Status.NEGOTIATING, _advance, may=MAY, fields=(ON,),
             done=gettext_lazy("The lead is in negotiation.")),
        Step("sign", gettext_lazy("Sign"), frozenset(OPEN), Status.SIGNED, _sign, may=MAY,
             fields=(ON,), done=gettext_lazy("Signed: the project is in the ledger."),
             confirm=True),
        Step("pause", gettext_lazy("Put on hold"), frozenset(OPEN), Status.PAUSED, _pause,
             may=MAY, fields=(ON, REASON), done=gettext_lazy("The lead is on hold.")),
        Step("resume", gettext_lazy("Resume"), frozenset({Status.PAUSED}), None, _resume,
             may=MAY, outcomes=frozenset(OPEN), done=gettext_lazy("The lead is resumed.")),
        Step("drop", gettext_lazy("Drop"), frozenset({*OPEN, Status.PAUSED}), Status.DROPPED,
             _drop, may=MAY, fields=(ON, REASON), done=gettext_lazy("The lead is dropped."),
             confirm=True),
    ],
)  # fmt: skip


def take_step(lead: Lead, name: str, actor: User | None, **fields: Any) -> Lead:
    """Take step `name` of `STEPS` on the lead (actor None: the system)."""
    if name not in STEPS:
        raise LeadError(_("“%(step)s” is not a step of a lead.") % {"step": name})
    allowed = {f.name for f in STEPS[name].fields}
    result: Lead = run(
        STEPS, name, lead, actor, **{k: v for k, v in fields.items() if k in allowed}
    ).obj
    return result


def allowed_steps(user: User, lead: Lead) -> list[Step]:
    return STEPS.allowed(user, lead)


def sign(lead: Lead, actor: User | None, on: dt.date | None = None) -> Lead:
    return take_step(lead, "sign", actor, on=on)


# --- the signing list of an event ----------------------------------------------------------


@transaction.atomic
def ledger_project(lead: Lead, actor: User) -> Project:
    """The lead's ledger project: the one it names, or one entered now with the lead's facts
    at the stage the lead has reached (线索, or 在谈 once in negotiation), which the lead then
    names. Signing the lead later continues it: nothing is typed twice."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.project_id:
        return Project.objects.get(pk=locked.project_id)
    if locked.status not in OPEN:
        raise LeadError(_("Only an open lead can be entered in the ledger this way."))
    negotiating = locked.status == Status.NEGOTIATING
    project = project_services.create_project(
        actor,
        stage=Stage.NEGOTIATING if negotiating else Stage.LEAD,
        stage_on=(locked.negotiating_on if negotiating else locked.lead_on) or today(),
        name=locked.name,
        enterprise=locked.investor,
        region=locked.region,
        industry=locked.industry,
        total_investment_wan=locked.investment_wan,
        lead_on=locked.lead_on,
        negotiating_on=locked.negotiating_on,
    )
    locked.project = project
    audited_save(locked, actor, note=_("entered in the ledger for a signing list"))
    lead.project = project
    return project


@transaction.atomic
def put_on_signing_list(lead: Lead, actor: User, event: Any) -> Any:
    """Put an open lead on an event's signing list (拟签), with its own facts: its ledger
    project (`ledger_project`), its area as the signing government, its investor as the
    signing enterprise and its intended investment as the amount. Confirming the row at the
    ceremony records the signing and moves the project to 签约; signing the lead afterwards
    continues that project without a second signing."""
    from guanjia.events.services import add_row

    status = Lead.objects.select_for_update().values_list("status", flat=True).get(pk=lead.pk)
    if status not in OPEN:
        raise LeadError(_("Only an open lead can be put on a signing list."))
    project = ledger_project(lead, actor)
    return add_row(
        event,
        actor,
        project=project,
        government=lead.region,
        amount_wan=lead.investment_wan,
        enterprises=[lead.investor],
    )


# --- merging investors ------------------------------------------------------------------------


def merge_investor(keep: Enterprise, duplicate: Enterprise) -> None:
    """An enterprise merge (`enterprises.services.on_merge`): the duplicate's leads are the
    kept one's."""
    Lead.objects.filter(investor=duplicate).update(investor=keep)


@transaction.atomic
def merge_investors(
    keep: Enterprise, duplicate: Enterprise, actor: User, reason: str
) -> Enterprise:
    """ "Same as": fold a duplicate investor into the one kept, everywhere (the enterprises'
    merge, with the leads moved by `merge_investor`). The city bureau's to do."""
    from guanjia.enterprises import services as enterprise_services

    if not access.may_merge(actor):
        raise PermissionDenied("only the city bureau merges investors")
    return enterprise_services.merge(keep, duplicate, actor, reason)


# --- visits received (来访接待) and trips out (外出招商) -----------------------------------------

VISIT_FIELDS = (
    "date", "region", "owner", "investors", "visitors", "hosts", "host_names", "sites", "leads",
    "notes",
)  # fmt: skip
TRIP_FIELDS = ("destinations", "start_on", "end_on", "region", "owner", "team", "purpose")


def _refs(actor: User, allowed: Any, values: Any, field: str, errors: dict[str, list[str]]) -> list:
    """Records the actor may name among `allowed` (a queryset), or an error worded as for a
    missing one."""
    ids = [getattr(v, "pk", v) for v in (values or [])]
    found = list(allowed.filter(pk__in=ids))
    if len({o.pk for o in found}) != len(set(ids)):
        errors.setdefault(field, []).append(_("Select a valid choice."))
    return found


def _one(actor: User, allowed: Any, value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    found = allowed.filter(pk=getattr(value, "pk", value)).first() if value is not None else None
    if found is None:
        errors.setdefault(field, []).append(_("Select a valid choice."))
    return found


def _outing(actor: User, obj: Visit | Trip, fields: dict[str, Any], names: tuple[str, ...]) -> dict:
    """Check a visit's or a trip's facts and put the plain ones on `obj` (not saved); return its
    many-to-many values. Every reference must be one the actor may make (the references rule)."""
    if not access.can_create(actor):
        raise PermissionDenied("this role does not work leads")
    unknown = set(fields) - set(names)
    if unknown:
        raise ValidationError(_("These cannot be set: %(f)s") % {"f": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    staff = access.referenceable_staff(actor)
    many: dict[str, list] = {}

    def kept(allowed: Any, name: str) -> Any:  # what the record names already stays nameable
        if obj.pk is None:
            return allowed
        held = getattr(obj, name).values("pk")
        return allowed.model.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk__in=held))

    for name, value in fields.items():
        if name == "region":
            if obj.pk is None or getattr(value, "pk", value) != obj.region_id:
                obj.region = _ref(actor, "region", value, "region", errors)
        elif name == "owner":
            if obj.pk is None or getattr(value, "pk", value) != obj.owner_id:
                obj.owner = _one(actor, staff, value, "owner", errors)
        elif name in ("hosts", "team"):
            many[name] = _refs(actor, kept(staff, name), value, name, errors)
        elif name == "leads":
            leads = kept(access.referenceable_leads(actor), name)
            many[name] = _refs(actor, leads, value, name, errors)
        elif name == "investors":
            from guanjia.accounts.scope import referenceable

            investors = kept(referenceable(actor, "enterprise"), name)
            many[name] = _refs(actor, investors, value, name, errors)
        else:
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
    if "investors" in fields and not fields["investors"]:
        errors.setdefault("investors", []).append(_("Name at least one investor."))
    if isinstance(obj, Trip) and obj.start_on and obj.end_on and obj.end_on < obj.start_on:
        errors.setdefault("end_on", []).append(_("The trip ends after it starts."))
    if errors:
        raise ValidationError(errors)
    if obj.pk is None:
        obj.created_by = actor
    obj.full_clean()
    return many


def _save_outing(obj: Visit | Trip, actor: User, many: dict[str, list], note: str = "") -> None:
    audited_save(obj, actor, note=note)
    for name, values in many.items():
        getattr(obj, name).set(values)
    if many:
        from guanjia.core.audit import record

        after = {name: [str(v.pk) for v in values] for name, values in many.items()}
        record(actor, "update", obj, None, after, note=_("people and references"))


@transaction.atomic
def create_visit(actor: User, **fields: Any) -> Visit:
    """Record a delegation received; the actor owns it unless they name an owner."""
    fields.setdefault("owner", actor)
    visit = Visit()
    many = _outing(actor, visit, fields, VISIT_FIELDS)
    _save_outing(visit, actor, many)
    return visit


@transaction.atomic
def update_visit(visit: Visit, actor: User, **fields: Any) -> Visit:
    current = Visit.objects.select_for_update().get(pk=visit.pk)
    if not access.can_work_visit(actor, current):
        raise PermissionDenied("you may not change this visit")
    many = _outing(actor, current, fields, VISIT_FIELDS)
    _save_outing(current, actor, many)
    return current


@transaction.atomic
def create_trip(actor: User, **fields: Any) -> Trip:
    """Record a trip out; the actor leads it unless they name someone else."""
    fields.setdefault("owner", actor)
    trip = Trip()
    many = _outing(actor, trip, fields, TRIP_FIELDS)
    _save_outing(trip, actor, many)
    return trip


@transaction.atomic
def update_trip(trip: Trip, actor: User, **fields: Any) -> Trip:
    current = Trip.objects.select_for_update().get(pk=trip.pk)
    if not access.can_work_trip(actor, current):
        raise PermissionDenied("you may not change this trip")
    many = _outing(actor, current, fields, TRIP_FIELDS)
    _save_outing(current, actor, many)
    return current


@transaction.atomic
def add_meeting(
    outing: Visit | Trip, actor: User, *, lead: Lead | int | None, **fields: Any
) -> NegotiationRecord:
    """Log one meeting of a trip (or a visit) as the lead's negotiation record: the record
    names the trip, so the lead's page, its follow-ups and the trip's report all read it."""
    is_trip = isinstance(outing, Trip)
    if isinstance(outing, Trip):
        may = access.can_work_trip(actor, outing)
    else:
        may = access.can_work_visit(actor, outing)
    if not may:
        raise PermissionDenied("you may not work this trip or visit")
    errors: dict[str, list[str]] = {}
    found = _one(actor, access.referenceable_leads(actor), lead, "lead", errors)
    if errors:
        raise ValidationError(errors)
    if not access.can_work(actor, found):
        raise PermissionDenied("you may not work this lead")
    date = fields.get("date")
    if is_trip and date and not (outing.start_on <= date <= outing.end_on):  # type: ignore[union-attr]
        raise ValidationError({"date": [_("The meeting falls outside the trip's dates.")]})
    fields.setdefault("kind", Kind.TRIP_OUT if is_trip else Kind.VISIT_RECEIVED)
    record = add_record(found, actor, **fields)
    if is_trip:
        record.trip = outing  # type: ignore[assignment]
    else:
        record.visit = outing  # type: ignore[assignment]
        outing.leads.add(found)  # type: ignore[union-attr]
    audited_save(record, actor, note=_("meeting of a trip or visit"))
    return record
