"""Keeping parks, plots and buildings: every mutation checked, atomic and audited; a plot's or
building's status moves only through the steps of `PLOT_STEPS` / `BUILDING_STEPS` (the step
engine, `guanjia.core.steps`).

`prepare_park` and `prepare_offer` hold every rule, so the pages and the Excel import check a
record the same way.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.accounts.scope import ReferenceOutOfScope, check_reference
from guanjia.core import files
from guanjia.core.audit import audited_delete, audited_save, record
from guanjia.core.models import AuditAction
from guanjia.core.steps import Change, Field, Step, StepTable, run, system_only
from guanjia.core.steps import now as step_now

from . import access
from .models import Building, LandFile, Offer, Park, Plot, PlotEnquiry, Status, Substation

# A reservation (意向) holds a plot for a lead for at most this long; then it is renewed or
# lapses.
RESERVE_DAYS_MAX = 365


class LandError(ValidationError):
    """A step the plot's or building's status or facts do not allow; the message says why."""


def today() -> dt.date:
    return timezone.localdate(step_now())


def _ref(actor: User, kind: str, value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    try:
        return check_reference(actor, kind, value, field=field)
    except ReferenceOutOfScope:
        errors.setdefault(field, []).append(_("Select a valid choice."))
        return None


def _set(obj: Any, fields: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in fields:
            value = fields[name]
            setattr(obj, name, value.strip() if isinstance(value, str) else value)


# --- parks --------------------------------------------------------------------------------------

PARK_FIELDS = (
    "name", "kind", "whole_area", "planned_area_km2", "built_area_km2", "occupancy_percent",
    "gas_m3_day", "water_t_day", "wastewater_t_day", "rail_sidings", "port_berths",
    "km_to_port", "km_to_airport", "km_to_highway", "point", "outline", "address",
    "contact_name", "contact_phone", "website", "description", "sources", "is_demo",
)  # fmt: skip


def prepare_park(actor: User, park: Park, *, region: Any, **fields: Any) -> Park:
    """Check the facts and put them on `park` (not saved)."""
    if not access.can_create(actor):
        raise PermissionDenied("this role keeps no parks")
    if park.pk is not None and not access.can_edit_park(actor, park):
        raise PermissionDenied("not a park of the user's area")
    errors: dict[str, list[str]] = {}
    if park.pk is not None and getattr(region, "pk", region) == park.region_id:
        region_obj = park.region
    else:
        region_obj = _ref(actor, "region", region, "region", errors)
    if errors:
        raise ValidationError(errors)
    park.region = region_obj
    unknown = set(fields) - set(PARK_FIELDS)
    assert not unknown, unknown
    _set(park, fields, PARK_FIELDS)
    if not access.can_edit_park(actor, park):
        raise ValidationError({"region": _("Select a valid choice.")})
    park.full_clean()
    return park


def _names(objs: Any) -> list[str]:
    return sorted(str(o) for o in objs)


@transaction.atomic
def save_park(
    actor: User,
    park: Park | None = None,
    *,
    industries: Any = None,
    incentives: Any = None,
    **fields: Any,
) -> Park:
    """Create a park (park None) or change one; its industries and incentives with it."""
    if park is not None:
        park = Park.objects.select_for_update().select_related("region").get(pk=park.pk)
    park = prepare_park(actor, park or Park(), **fields)
    audited_save(park, actor)
    for name, values in (("industries", industries), ("incentives", incentives)):
        if values is None:
            continue
        manager = getattr(park, name)
        if name == "incentives":
            allowed = _policies().filter(pk__in=[getattr(v, "pk", v) for v in values])
            if len(allowed) != len({getattr(v, "pk", v) for v in values}):
                raise ValidationError({name: _("Select a valid choice.")})
            values = list(allowed)
        before = _names(manager.all())
        manager.set(values)
        after = _names(manager.all())
        if before != after:
            record(actor, AuditAction.UPDATE, park, {name: before}, {name: after})
    return park


def _policies() -> Any:
    """The policies a park may name as its incentives: the city's active library."""
    return Park._meta.get_field("incentives").related_model._default_manager.filter(active=True)  # type: ignore[union-attr]


def policy_choices() -> Any:
    return _policies().order_by("title")


@transaction.atomic
def add_substation(actor: User, park: Park, **fields: Any) -> Substation:
    if not access.can_edit_park(actor, park):
        raise PermissionDenied("not a park of the user's area")
    substation = Substation(park=park)
    _set(substation, fields, ("name", "voltage_kv", "capacity_kva", "spare_kva"))
    audited_save(substation, actor)
    return substation


@transaction.atomic
def remove_substation(actor: User, substation: Substation) -> None:
    if not access.can_edit_park(actor, substation.park):
        raise PermissionDenied("not a park of the user's area")
    audited_delete(substation, actor)


# --- plots and buildings ------------------------------------------------------------------------

OFFER_FIELDS = ("code", "name", "point", "notes", "is_demo")
PLOT_FIELDS = (
    *OFFER_FIELDS, "outline", "area_mu", "area_m2", "land_use", "far_min", "far_max",
    "density_max", "green_max", "height_limit_m", "utilities", "power_kva",
    "price_wan_per_mu", "price_is_reference",
)  # fmt: skip
BUILDING_FIELDS = (
    *OFFER_FIELDS, "plot", "floor_area_m2", "floors", "floor_load_kn_m2", "eaves_height_m",
    "crane_t", "for_rent", "for_sale", "rent_yuan_m2_month", "sale_yuan_m2",
)  # fmt: skip


def prepare_offer(actor: User, obj: Plot | Building, *, park: Any, **fields: Any) -> Any:
    """Check a plot's or building's facts and put them on it (not saved). Its status is never
    set here: that is a step."""
    if not access.can_create(actor):
        raise PermissionDenied("this role keeps no land")
    if obj.pk is not None and not access.can_edit(actor, obj):
        raise PermissionDenied("not a park of the user's area")
    names = PLOT_FIELDS if isinstance(obj, Plot) else BUILDING_FIELDS
    unknown = set(fields) - set(names)
    assert not unknown, unknown
    errors: dict[str, list[str]] = {}
    park_pk = getattr(park, "pk", park)
    park_obj: Park | None
    if obj.pk is not None and park_pk == obj.park_id:
        park_obj = obj.park
    else:
        park_obj = access.kept_parks(actor).filter(pk=park_pk).first() if park_pk else None
        if park_obj is None:
            errors["park"] = [_("Select a valid choice.")]
    if isinstance(obj, Building) and fields.get("plot") is not None:
        plot = fields["plot"]
        if getattr(plot, "pk", plot) != obj.plot_id:
            found = Plot.objects.filter(pk=getattr(plot, "pk", plot), park=park_obj).first()
            if found is None:
                errors["plot"] = [_("Select a valid choice.")]
            fields["plot"] = found
    if errors:
        raise ValidationError(errors)
    assert park_obj is not None
    obj.park = park_obj
    _set(obj, fields, names)
    if obj.pk is None:
        obj.created_by = actor
        obj.status = Status.AVAILABLE
    obj.full_clean()
    return obj


@transaction.atomic
def save_offer(actor: User, obj: Plot | Building, note: str = "", **fields: Any) -> Any:
    """Create (obj unsaved) or change a plot or building."""
    if obj.pk is not None:
        obj = type(obj).objects.select_for_update().select_related("park__region").get(pk=obj.pk)
    prepare_offer(actor, obj, **fields)
    audited_save(obj, actor, note=note)
    return obj


def create_plot(actor: User, **fields: Any) -> Plot:
    plot: Plot = save_offer(actor, Plot(), **fields)
    return plot


def create_building(actor: User, **fields: Any) -> Building:
    building: Building = save_offer(actor, Building(), **fields)
    return building


# --- the plot a portal enquiry asked about ---------------------------------------------------


@transaction.atomic
def record_enquiry(actor: User, lead: Any, plot: Plot) -> PlotEnquiry:
    """Keep the plot a lead's enquiry asked about (the portal's "enquire about this plot"), so
    the lead's land matching shows it first. Only a plot on offer may be asked about."""
    if not Plot.objects.filter(pk=plot.pk, status=Status.AVAILABLE).exists():
        raise LandError({"plot": _("This plot is no longer available.")})
    enquiry, created = PlotEnquiry.objects.get_or_create(lead=lead, plot=plot)
    if created:
        record(actor, AuditAction.CREATE, enquiry, note=str(plot))
    return enquiry


def asked_plot_ids(lead: Any) -> list[int]:
    """The plots the lead asked about, first asked first."""
    return list(
        PlotEnquiry.objects.filter(lead_id=lead.pk).order_by("created_at", "pk")
        .values_list("plot_id", flat=True)
    )  # fmt: skip


# --- files --------------------------------------------------------------------------------------


def add_files(actor: User, obj: Plot | Building, kind: str, uploads: list[Any]) -> list[LandFile]:
    """Attach documents or photos (checked by their content: PDF, JPG, PNG, DOCX, XLSX)."""
    if not access.can_edit(actor, obj):
        raise PermissionDenied("not a park of the user's area")
    if kind == "photo":
        checked = [(u, *files.fingerprint(u)) for u in uploads]
        if any(k not in ("jpg", "png") for _u, k, _s, _n in checked):
            raise ValidationError({"files": _("A photo is a JPG or PNG file.")})
    else:
        checked = [(u, *files.fingerprint(u)) for u in uploads]
    made = []
    with files.removed_on_failure(), transaction.atomic():
        for upload, file_kind, sha256, original in checked:
            land_file = LandFile(
                kind=kind,
                name=original,
                content_type=files.TYPES[file_kind],
                size=upload.size or 0,
                sha256=sha256,
                uploaded_by=actor,
                **({"plot": obj} if isinstance(obj, Plot) else {"building": obj}),
            )
            files.store(land_file.file, file_kind, upload)
            land_file.save()
            record(actor, AuditAction.CREATE, land_file, note=str(obj))
            made.append(land_file)
    return made


@transaction.atomic
def remove_file(actor: User, land_file: LandFile) -> None:
    if not access.can_edit(actor, land_file.owner):
        raise PermissionDenied("not a park of the user's area")
    files.delete_on_commit(land_file.file)
    audited_delete(land_file, actor, note=str(land_file.owner))


# --- the steps ----------------------------------------------------------------------------------


def _until(until: Any) -> dt.date:
    if not isinstance(until, dt.date):
        raise LandError({"until": _("Give the date the reservation lapses.")})
    if until <= today():
        raise LandError({"until": _("A reservation lapses after today.")})
    if (until - today()).days > RESERVE_DAYS_MAX:
        raise LandError(
            {"until": _("A reservation holds at most %(n)d days.") % {"n": RESERVE_DAYS_MAX}}
        )
    return until


def _reserve(change: Change, lead: Any = None, until: Any = None, **_f: Any) -> None:
    """意向: held for a lead until a date. A plot reserved for another lead is refused until
    that reservation lapses; the same lead may have it renewed."""
    obj: Offer = change.obj
    errors: dict[str, list[str]] = {}
    if lead is None:
        raise LandError({"lead": _("Choose the lead it is reserved for.")})
    lead_obj = (
        _ref(change.actor, "lead", lead, "lead", errors) if change.actor is not None else lead
    )
    if errors:
        raise LandError(errors)
    when = _until(until)
    if (
        obj.status == Status.RESERVED
        and obj.reserved_for_id not in (None, lead_obj.pk)
        and obj.reserved_until is not None
        and obj.reserved_until >= today()
    ):
        raise LandError(
            _("Already reserved for “%(lead)s” until %(until)s.")
            % {"lead": obj.reserved_for, "until": obj.reserved_until}
        )
    obj.status = Status.RESERVED
    obj.reserved_for = lead_obj
    obj.reserved_until = when
    change.note = _("reserved for “%(lead)s” until %(until)s") % {"lead": lead_obj, "until": when}


def _release(change: Change, reason: str = "", **_f: Any) -> None:
    obj: Offer = change.obj
    reason = (reason or "").strip()
    if not reason:
        raise LandError({"reason": _("Say why.")})
    obj.status = Status.AVAILABLE
    obj.reserved_for = None
    obj.reserved_until = None
    change.note = reason[:300]


def _expire(change: Change, **_f: Any) -> None:
    obj: Offer = change.obj
    if obj.reserved_until is None or obj.reserved_until >= today():
        raise LandError(_("The reservation has not lapsed."))
    change.note = _("the reservation lapsed on %(until)s") % {"until": obj.reserved_until}
    obj.status = Status.AVAILABLE
    obj.reserved_for = None
    obj.reserved_until = None


def _take(change: Change, project: Any = None, on: Any = None, **_f: Any) -> None:
    """已出让 / 已租售: to a ledger project. A plot reserved for a lead goes to that lead's
    project (or another, once the reservation has lapsed)."""
    obj: Offer = change.obj
    errors: dict[str, list[str]] = {}
    if project is None:
        raise LandError({"project": _("Choose the project it goes to.")})
    project_obj = (
        _ref(change.actor, "project", project, "project", errors)
        if change.actor is not None
        else project
    )
    if errors:
        raise LandError(errors)
    when = on or today()
    if not isinstance(when, dt.date) or when > today():
        raise LandError({"on": _("A step cannot be dated in the future.")})
    if (
        obj.status == Status.RESERVED
        and obj.reserved_until is not None
        and obj.reserved_until >= today()
        and obj.reserved_for is not None
        and not _lead_goes_to(obj.reserved_for, project_obj)
    ):
        raise LandError(
            {
                "project": _("Reserved for “%(lead)s” until %(until)s: release it first.")
                % {"lead": obj.reserved_for, "until": obj.reserved_until}
            }
        )
    obj.status = Status.TAKEN
    obj.project = project_obj
    obj.taken_on = when
    obj.reserved_for = None
    obj.reserved_until = None
    change.note = str(project_obj)
    if isinstance(obj, Plot):
        # The project's land guarantee (要素保障) follows from the plot.
        from guanjia.projects.services import land_taken

        what = f"{obj} ({obj.park}, {obj.area_mu} mu)"
        for fill in land_taken:
            fill(change.actor, project_obj, obj.area_mu, what)


def _lead_goes_to(lead: Any, project: Any) -> bool:
    """Whether `project` is the reserving lead's: the one it names, or (none named yet) one
    of its investor's."""
    if lead.project_id is not None:
        return bool(lead.project_id == project.pk)
    return bool(lead.investor_id == project.enterprise_id)


def _reopen(change: Change, reason: str = "", **_f: Any) -> None:
    """Back on offer (a transfer annulled, a lease ended): the project is kept in the history."""
    obj: Offer = change.obj
    reason = (reason or "").strip()
    if not reason:
        raise LandError({"reason": _("Say why.")})
    obj.status = Status.AVAILABLE
    obj.project = None
    obj.taken_on = None
    change.note = reason[:300]


def _refused(obj: Offer, step: Step) -> str:
    if step.name == "reserve" and obj.status == Status.TAKEN:
        return _("“%(obj)s” is taken: it cannot be reserved.") % {"obj": obj}
    return _("“%(step)s” is not possible for “%(obj)s”, which is “%(status)s”.") % {
        "step": step.label,
        "obj": obj,
        "status": Status(obj.status).label,
    }


def _check(change: Change) -> None:
    """The table's `save` hook: the row as the step leaves it is a valid row."""
    obj: Offer = change.obj
    if obj.status == Status.RESERVED:
        assert obj.reserved_for_id is not None and obj.reserved_until is not None
    if obj.status == Status.TAKEN:
        assert obj.project_id is not None


MAY = "guanjia.parks.access.may_step"
MAY_RESERVE = "guanjia.parks.access.may_reserve"
MAY_RELEASE = "guanjia.parks.access.may_release"
LEAD = Field("lead", required=True, ref=True)
UNTIL = Field("until", required=True)
PROJECT = Field("project", required=True, ref=True)
ON = Field("on")
REASON = Field("reason", required=True)
ANY = frozenset({Status.AVAILABLE, Status.RESERVED})


def _steps(taken: Any, taken_done: Any) -> list[Step]:
    return [
        Step("reserve", gettext_lazy("Reserve for a lead"), ANY, Status.RESERVED, _reserve,
             may=MAY_RESERVE, fields=(LEAD, UNTIL), done=gettext_lazy("Reserved for the lead.")),
        Step("release", gettext_lazy("Release the reservation"), frozenset({Status.RESERVED}),
             Status.AVAILABLE, _release, may=MAY_RELEASE, fields=(REASON,),
             done=gettext_lazy("The reservation is released.")),
        Step("expire", gettext_lazy("Reservation lapsed"), frozenset({Status.RESERVED}),
             Status.AVAILABLE, _expire, may=system_only),
        Step("take", taken, ANY, Status.TAKEN, _take, may=MAY, fields=(PROJECT, ON),
             done=taken_done, confirm=True),
        Step("reopen", gettext_lazy("Back on offer"), frozenset({Status.TAKEN}),
             Status.AVAILABLE, _reopen, may=MAY, fields=(REASON,), confirm=True,
             done=gettext_lazy("Back on offer.")),
    ]  # fmt: skip


PLOT_STEPS = StepTable(
    model=Plot,
    error=LandError,
    refused=_refused,
    save=_check,
    steps=_steps(
        gettext_lazy("Transfer to a project"), gettext_lazy("Transferred to the project.")
    ),
)
BUILDING_STEPS = StepTable(
    model=Building,
    error=LandError,
    refused=_refused,
    save=_check,
    steps=_steps(
        gettext_lazy("Let or sell to a project"), gettext_lazy("Let or sold to the project.")
    ),
)


def table_of(obj: Plot | Building) -> StepTable:
    return PLOT_STEPS if isinstance(obj, Plot) else BUILDING_STEPS


def take_step(obj: Any, name: str, actor: User | None, **fields: Any) -> Any:
    """Take step `name` on a plot or building (actor None: the system)."""
    table = table_of(obj)
    if name not in table:
        raise LandError(_("“%(step)s” is not a step of this record.") % {"step": name})
    allowed = {f.name for f in table[name].fields}
    return run(table, name, obj, actor, **{k: v for k, v in fields.items() if k in allowed}).obj


def allowed_steps(user: User, obj: Any) -> list[Step]:
    return [s for s in table_of(obj).allowed(user, obj) if s.may is not system_only]


def reserve(obj: Any, actor: User | None, lead: Any, until: dt.date) -> Any:
    return take_step(obj, "reserve", actor, lead=lead, until=until)


def take(obj: Any, actor: User | None, project: Any, on: dt.date | None = None) -> Any:
    return take_step(obj, "take", actor, project=project, on=on)


def expire_reservations() -> int:
    """The sweep: every reservation past its date goes back on offer (step `expire`)."""
    count = 0
    for model in (Plot, Building):
        lapsed = model.objects.filter(status=Status.RESERVED, reserved_until__lt=today())
        for obj in lapsed:
            take_step(obj, "expire", None)
            count += 1
    return count


# The lead's owner is reminded this many working days before a reservation lapses.
REMIND_WORKDAYS = 3


def _workdays_left(start: dt.date, until: dt.date, cal: Any) -> int:
    """Working days after `start` up to and including `until`."""
    days, day = 0, start
    while day < until:
        day += dt.timedelta(days=1)
        days += cal.is_working_day(day)
    return days


def remind_reservations() -> int:
    """The reminder sweep: the owner of the lead a plot or building is reserved for hears,
    once per lapse date, when `REMIND_WORKDAYS` working days or fewer are left. Returns how
    many were told."""
    from django.urls import reverse

    from guanjia.notifications.services import notify
    from guanjia.worktime.clock import WorkCalendar

    now = today()
    # No more than REMIND_WORKDAYS working days fit in 3 weeks of holidays and weekends.
    horizon = now + dt.timedelta(days=REMIND_WORKDAYS + 21)
    cal = None
    told = 0
    for model, kind in ((Plot, "plot"), (Building, "building")):
        due = (
            model.objects.filter(
                status=Status.RESERVED, reserved_until__gte=now, reserved_until__lte=horizon
            )
            .exclude(reminded_for=models.F("reserved_until"))
            .select_related("reserved_for__owner", "park")
        )
        for obj in due:
            assert obj.reserved_until is not None
            cal = cal or WorkCalendar.load()
            if _workdays_left(now, obj.reserved_until, cal) > REMIND_WORKDAYS:
                continue
            lead = obj.reserved_for
            words = {"obj": obj, "park": obj.park, "lead": lead, "until": obj.reserved_until}
            title = (
                _(
                    "The reservation of “%(obj)s” (%(park)s) for the lead “%(lead)s” lapses on "
                    "%(until)s: renew it or let it go"
                )
                % words
            )
            with transaction.atomic():
                updated = model.objects.filter(
                    pk=obj.pk, status=Status.RESERVED, reserved_until=obj.reserved_until
                ).update(reminded_for=obj.reserved_until)
                if updated and lead is not None:
                    told += len(
                        notify(
                            [lead.owner],
                            kind="parks.reservation_lapsing",
                            title=title,
                            url=reverse(f"parks:{kind}_detail", args=[obj.pk]),
                            target=obj,
                        )
                    )
    return told


def total_m2(plots: Any) -> Decimal:
    return sum((p.area_m2 or Decimal(0) for p in plots), Decimal(0))
