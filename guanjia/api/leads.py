"""Investors (客商), leads (招商线索) and their negotiation records: list, read, create.

The same `access` and `services` as the pages: a lead outside the caller's reach is 404, a
read-only role gets 403 on a write, and a reference the caller may not make (another area's
investor, project, owner, area or team) is the 422 of an id that does not exist.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from guanjia.core.steps import check as check_step
from guanjia.enterprises import access as enterprise_access
from guanjia.enterprises import services as enterprise_services
from guanjia.enterprises.models import ContactSource, Enterprise, Ownership
from guanjia.industries.models import Industry
from guanjia.leads import access, services
from guanjia.leads.models import Kind, Lead, NegotiationRecord, Trip, Visit
from guanjia.leads.models import Status as LeadStatus

from .common import caller, existing, industry_ref, page, reference, region_ref, user_ref
from .errors import ApiError, field_error, invalid
from .schemas import (
    Amount,
    ErrorOut,
    Id,
    IndustryRef,
    Input,
    InvalidOut,
    Money,
    Name,
    Page,
    RegionRef,
    Text,
    UserRef,
    money,
)

router = Router(tags=["leads"])


def quantity(maximum: int, unit: str) -> Any:
    """A need (land, power, energy, water): a non-negative number, or a decimal string."""
    return Annotated[
        Decimal,
        Field(ge=0, le=maximum),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "minimum": 0, "maximum": maximum},
                    {"type": "string", "maxLength": 24},
                ],
                "description": unit,
            }
        ),
    ]


Land = quantity(10**6, "亩")
Power = quantity(10**9, "kVA")
Energy = quantity(10**9, "tonnes of standard coal a year")
Water = quantity(10**9, "tonnes a day")

READ_ONE = {401: ErrorOut, 404: ErrorOut}
READ_LIST = {401: ErrorOut, 404: ErrorOut, 422: InvalidOut}  # 404: a role with no workbench
WRITE_ERRORS = {
    400: InvalidOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: InvalidOut,
    422: InvalidOut,
}


# --- shapes -----------------------------------------------------------------------------------


class InvestorOut(Schema):
    id: int
    name: str
    credit_code: str | None
    group: str
    home_city: str
    ownership: Ownership
    contact_source: str = Field(description="how the bureau came to know it; empty if unknown")
    region: RegionRef | None = Field(description="its local region, once settled in the city")
    interests: list[IndustryRef]


class InvestorList(Schema):
    count: int
    items: list[InvestorOut]


class InvestorFilters(Page):
    q: Text = Field("", max_length=100, description="part of the name, group or home city")
    source: ContactSource | None = None


class InvestorCreate(Input):
    name: Name = Field(min_length=1, max_length=120)
    credit_code: Text = Field("", max_length=40, description="optional for a foreign investor")
    group: Name = Field("", max_length=120)
    home_city: Name = Field("", max_length=40)
    ownership: Ownership = Ownership.PRIVATE
    contact_source: ContactSource | None = None
    interest_ids: list[Id] = Field(default_factory=list, max_length=20)
    different: bool = Field(
        False, description="true: create it although names that look alike exist (409 else)"
    )


class InvestorRef(Schema):
    id: int
    name: str


class LeadOut(Schema):
    id: int
    name: str
    investor: InvestorRef
    industry: IndustryRef | None
    investment_wan: Money
    land_mu: str | None
    power_kva: str | None
    energy_tce: str | None
    water_tons: str | None
    workers: int | None
    source: ContactSource
    region: RegionRef
    department: dict[str, Any] | None
    owner: UserRef
    status: LeadStatus
    status_reason: str
    lead_on: dt.date | None
    contact_on: dt.date | None
    negotiating_on: dt.date | None
    signed_on: dt.date | None
    last_contact_on: dt.date | None
    next_follow_up_on: dt.date | None
    project_id: int | None
    steps: list[str] = Field(description="the steps the caller may take now")


class LeadList(Schema):
    count: int
    items: list[LeadOut]


class LeadFilters(Page):
    q: Text = Field("", max_length=100, description="part of the project or investor name")
    status: LeadStatus | None = None
    source: ContactSource | None = None


class LeadCreate(Input):
    investor_id: Id
    name: Name = Field(min_length=1, max_length=200)
    region_id: Id
    source: ContactSource
    industry_id: Id | None = None
    investment_wan: Amount = Decimal(0)
    land_mu: Land | None = None  # type: ignore[valid-type]
    power_kva: Power | None = None  # type: ignore[valid-type]
    energy_tce: Energy | None = None  # type: ignore[valid-type]
    water_tons: Water | None = None  # type: ignore[valid-type]
    workers: int | None = Field(None, ge=0, le=10**7)
    department_id: Id | None = None
    owner_id: Id | None = None
    project_id: Id | None = None
    notes: Text = Field("", max_length=5000)


class RecordOut(Schema):
    id: int
    kind: Kind
    date: dt.date
    place: str
    our_side: str
    their_side: str
    asked: str
    offered: str
    outcome: str
    next_step: str
    next_follow_up_on: dt.date | None


class RecordList(Schema):
    count: int
    items: list[RecordOut]


class RecordCreate(Input):
    kind: Kind = Kind.MEETING
    date: dt.date
    place: Name = Field("", max_length=200)
    our_side: Name = Field(min_length=1, max_length=300)
    their_side: Name = Field(min_length=1, max_length=300)
    asked: Text = Field("", max_length=2000)
    offered: Text = Field("", max_length=2000)
    outcome: Text = Field(min_length=1, max_length=2000)
    next_step: Text = Field("", max_length=300)
    next_follow_up_on: dt.date | None = None


# --- investors --------------------------------------------------------------------------------


def investor_out(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.name,
        "credit_code": e.credit_code,
        "group": e.group,
        "home_city": e.home_city,
        "ownership": e.ownership,
        "contact_source": e.contact_source,
        "region": region_ref(e.region),
        "interests": [industry_ref(i) for i in e.interests.all()],
    }


@router.get("/investors", response={200: InvestorList} | READ_LIST)
def list_investors(request: HttpRequest, filters: Query[InvestorFilters]) -> dict:
    """Investors the caller may see: enterprises with a lead, a source of contact, or no
    local region yet."""
    user = caller(request)
    access.require_open(user)
    qs = enterprise_access.enterprises_for(user).filter(
        Q(leads__isnull=False) | ~Q(contact_source="") | Q(region__isnull=True)
    )
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q)
            | Q(group__icontains=filters.q)
            | Q(home_city__icontains=filters.q)
        )
    if filters.source:
        qs = qs.filter(contact_source=filters.source)
    ids = qs.values("pk").distinct()
    found = Enterprise.objects.filter(pk__in=ids).select_related("region")
    items = page(
        found.prefetch_related("interests").order_by("name", "id"), filters.limit, filters.offset
    )
    return {"count": found.count(), "items": [investor_out(e) for e in items]}


@router.get("/investors/{int:investor_id}", response={200: InvestorOut} | READ_ONE)
def get_investor(request: HttpRequest, investor_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return investor_out(enterprise_access.get_enterprise(user, investor_id))


@router.post("/investors", response={201: InvestorOut} | WRITE_ERRORS)
def create_investor(request: HttpRequest, payload: InvestorCreate) -> Status:
    """Register an investor (the credit code is optional for one not registered in China).

    A name that looks like one the caller sees is a 409 listing them (`errors`, field
    `name`), unless `different` is true; a credit code already registered is a 422."""
    user = caller(request)
    access.require_open(user)
    if not access.can_create(user):
        raise PermissionDenied
    fields = payload.model_dump()
    interests = [
        existing(Industry.objects.all(), pk, "interest_ids") for pk in fields.pop("interest_ids")
    ]
    if not fields.pop("different"):
        similar = enterprise_services.similar_enterprises(
            fields["name"], enterprise_access.referenceable_enterprises(user)
        )
        if similar:
            raise ApiError(
                409,
                _(
                    "Enterprises with a name that looks alike exist: send different=true if it is another."
                ),
                [field_error("name", f"{e.name} (no. {e.pk})") for e, _score in similar],
            )
    fields["contact_source"] = fields["contact_source"] or ""
    fields["credit_code"] = fields["credit_code"] or None
    if user.role == "steward":
        fields["steward"] = user  # so the steward who registers it also sees it
    investor = enterprise_services.create_enterprise(user, interests=interests, **fields)
    return Status(201, investor_out(investor))


# --- leads ------------------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def lead_out(lead: Lead, user: Any) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "name": lead.name,
        "investor": {"id": lead.investor_id, "name": lead.investor.name},
        "industry": industry_ref(lead.industry),
        "investment_wan": money(lead.investment_wan),
        "land_mu": _dec(lead.land_mu),
        "power_kva": _dec(lead.power_kva),
        "energy_tce": _dec(lead.energy_tce),
        "water_tons": _dec(lead.water_tons),
        "workers": lead.workers,
        "source": lead.source,
        "region": region_ref(lead.region),
        "department": {"id": lead.department.pk, "name": lead.department.name}
        if lead.department
        else None,
        "owner": user_ref(lead.owner),
        "status": lead.status,
        "status_reason": lead.status_reason,
        "lead_on": lead.lead_on,
        "contact_on": lead.contact_on,
        "negotiating_on": lead.negotiating_on,
        "signed_on": lead.signed_on,
        "last_contact_on": lead.last_contact_on,
        "next_follow_up_on": lead.next_follow_up_on,
        "project_id": lead.project_id,
        "steps": [s.name for s in services.allowed_steps(user, lead)],
    }


def _leads(user: Any) -> Any:
    return access.leads_for(user).select_related(
        "investor", "industry", "region", "department", "owner"
    )


@router.get("/leads", response={200: LeadList} | READ_LIST)
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> dict:
    """The leads the caller may see, newest first."""
    user = caller(request)
    access.require_open(user)
    qs = _leads(user)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(investor__name__icontains=filters.q))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    items = page(qs.order_by("-id"), filters.limit, filters.offset)
    return {"count": qs.count(), "items": [lead_out(lead, user) for lead in items]}


@router.get("/leads/{int:lead_id}", response={200: LeadOut} | READ_ONE)
def get_lead(request: HttpRequest, lead_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return lead_out(access.get_lead(user, lead_id), user)


@router.post("/leads", response={201: LeadOut} | WRITE_ERRORS)
def create_lead(request: HttpRequest, payload: LeadCreate) -> Status:
    """Enter a lead (status 线索). The owner defaults to the caller."""
    user = caller(request)
    access.require_open(user)
    if not access.can_create(user):
        raise PermissionDenied
    fields = payload.model_dump()
    fields["investor"] = reference(user, "enterprise", fields.pop("investor_id"), "investor_id")
    fields["region"] = reference(user, "region", fields.pop("region_id"), "region_id")
    fields["department"] = reference(
        user, "department", fields.pop("department_id"), "department_id"
    )
    fields["project"] = reference(user, "project", fields.pop("project_id"), "project_id")
    fields["owner"] = existing(
        access.referenceable_owners(user), fields.pop("owner_id"), "owner_id"
    )
    fields["industry"] = existing(Industry.objects.all(), fields.pop("industry_id"), "industry_id")
    lead = services.create_lead(user, **fields)
    return Status(201, lead_out(access.get_lead(user, lead.pk), user))


# --- negotiation records ------------------------------------------------------------------------


def record_out(r: NegotiationRecord) -> dict[str, Any]:
    return {name: getattr(r, name) for name in ("id", *services.RECORD_FIELDS)}


@router.get("/leads/{int:lead_id}/records", response={200: RecordList} | READ_ONE)
def list_records(request: HttpRequest, lead_id: int) -> dict:
    """The lead's negotiation records, latest first."""
    user = caller(request)
    access.require_open(user)
    lead = access.get_lead(user, lead_id)
    records = list(lead.records.all())
    return {"count": len(records), "items": [record_out(r) for r in records]}


@router.post("/leads/{int:lead_id}/records", response={201: RecordOut} | WRITE_ERRORS)
def create_record(request: HttpRequest, lead_id: int, payload: RecordCreate) -> Status:
    """Record a negotiation; the lead's last contact and next follow-up follow it."""
    user = caller(request)
    access.require_open(user)
    lead = access.get_lead(user, lead_id, write=True)
    record = services.add_record(lead, user, **payload.model_dump())
    return Status(201, record_out(record))


# --- steps --------------------------------------------------------------------------------------


class LeadStepIn(Input):
    on: dt.date | None = Field(None, description="the step's date (default today)")
    reason: Text = Field("", max_length=300, description="why: required for pause and drop")
    confirm: bool = Field(False, description="true: required for sign and drop")


@router.post(
    "/leads/{int:lead_id}/steps/{step}", response={200: LeadOut, 409: InvalidOut} | WRITE_ERRORS
)
def take_lead_step(request: HttpRequest, lead_id: int, step: str, payload: LeadStepIn) -> dict:
    """Take one step of the lead, with the step engine of the lead page: contact (on),
    negotiate (on), sign (on, confirm), pause (on, reason), resume, drop (on, reason, confirm).
    A step the lead's status does not allow is a 409; `steps` in the lead lists those the
    caller may take now."""
    user = caller(request)
    access.require_open(user)
    if step not in services.STEPS:
        raise Http404("no such step")
    lead = access.get_lead(user, lead_id, write=True)
    taken = services.STEPS[step]
    try:
        check_step(services.STEPS, step, lead, user)
    except services.LeadError as exc:
        raise ApiError(
            409, _("The step was refused."), [field_error(None, " ".join(exc.messages))]
        ) from exc
    if taken.confirm and not payload.confirm:
        raise invalid("confirm", _("Tick the box to confirm “%(step)s”.") % {"step": taken.label})
    services.take_step(lead, step, user, on=payload.on, reason=payload.reason)
    return lead_out(access.get_lead(user, lead_id), user)


# --- visits received and trips out ----------------------------------------------------------------


class VisitOut(Schema):
    id: int
    date: dt.date
    region: RegionRef
    owner: UserRef
    investors: list[InvestorRef]
    visitors: str
    hosts: list[UserRef]
    host_names: str
    sites: str
    lead_ids: list[int]
    notes: str


class VisitList(Schema):
    count: int
    items: list[VisitOut]


class VisitCreate(Input):
    date: dt.date
    region_id: Id
    owner_id: Id | None = None
    investor_ids: list[Id] = Field(min_length=1, max_length=20)
    visitors: Name = Field(min_length=1, max_length=300)
    host_ids: list[Id] = Field(default_factory=list, max_length=20)
    host_names: Name = Field("", max_length=300)
    sites: Text = Field("", max_length=2000)
    lead_ids: list[Id] = Field(default_factory=list, max_length=50)
    notes: Text = Field("", max_length=5000)


class TripOut(Schema):
    id: int
    destinations: str
    start_on: dt.date
    end_on: dt.date
    region: RegionRef
    owner: UserRef
    team: list[UserRef]
    purpose: str
    meeting_count: int


class TripList(Schema):
    count: int
    items: list[TripOut]


class TripCreate(Input):
    destinations: Name = Field(min_length=1, max_length=200)
    start_on: dt.date
    end_on: dt.date
    region_id: Id
    owner_id: Id | None = None
    team_ids: list[Id] = Field(default_factory=list, max_length=30)
    purpose: Text = Field("", max_length=2000)


class OutingFilters(Page):
    start: dt.date | None = Field(None, description="on or after this date")
    end: dt.date | None = Field(None, description="on or before this date")


class MeetingOut(RecordOut):
    lead_id: int


class MeetingList(Schema):
    count: int
    items: list[MeetingOut]


class MeetingCreate(RecordCreate):
    lead_id: Id
    kind: Kind = Kind.TRIP_OUT


def visit_out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "date": v.date,
        "region": region_ref(v.region),
        "owner": user_ref(v.owner),
        "investors": [{"id": e.pk, "name": e.name} for e in v.investors.all()],
        "visitors": v.visitors,
        "hosts": [user_ref(u) for u in v.hosts.all()],
        "host_names": v.host_names,
        "sites": v.sites,
        "lead_ids": sorted(lead.pk for lead in v.leads.all()),
        "notes": v.notes,
    }


def trip_out(t: Trip) -> dict[str, Any]:
    return {
        "id": t.pk,
        "destinations": t.destinations,
        "start_on": t.start_on,
        "end_on": t.end_on,
        "region": region_ref(t.region),
        "owner": user_ref(t.owner),
        "team": [user_ref(u) for u in t.team.all()],
        "purpose": t.purpose,
        "meeting_count": t.records.count(),
    }


def _staff(user: Any, ids: list[int], field: str) -> list[Any]:
    return [existing(access.referenceable_staff(user), pk, field) for pk in ids]


@router.get("/visits", response={200: VisitList} | READ_LIST)
def list_visits(request: HttpRequest, filters: Query[OutingFilters]) -> dict:
    """The visits received the caller may see, latest first."""
    user = caller(request)
    access.require_open(user)
    qs = access.visits_for(user).select_related("region", "owner")
    if filters.start:
        qs = qs.filter(date__gte=filters.start)
    if filters.end:
        qs = qs.filter(date__lte=filters.end)
    qs = qs.prefetch_related("investors", "hosts", "leads").order_by("-date", "-id")
    items = page(qs, filters.limit, filters.offset)
    return {"count": qs.count(), "items": [visit_out(v) for v in items]}


@router.get("/visits/{int:visit_id}", response={200: VisitOut} | READ_ONE)
def get_visit(request: HttpRequest, visit_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return visit_out(access.get_visit(user, visit_id))


@router.post("/visits", response={201: VisitOut} | WRITE_ERRORS)
def create_visit(request: HttpRequest, payload: VisitCreate) -> Status:
    """Record a delegation received; the caller owns it unless it names an owner. Investors,
    hosts and leads must be ones the caller may name (else the 422 of a missing id)."""
    user = caller(request)
    access.require_open(user)
    if not access.can_create(user):
        raise PermissionDenied
    data = payload.model_dump()
    fields: dict[str, Any] = {
        "date": data["date"],
        "region": reference(user, "region", data["region_id"], "region_id"),
        "investors": [
            reference(user, "enterprise", pk, "investor_ids") for pk in data["investor_ids"]
        ],
        "visitors": data["visitors"],
        "hosts": _staff(user, data["host_ids"], "host_ids"),
        "host_names": data["host_names"],
        "sites": data["sites"],
        "leads": [reference(user, "lead", pk, "lead_ids") for pk in data["lead_ids"]],
        "notes": data["notes"],
    }
    if data["owner_id"] is not None:
        fields["owner"] = existing(access.referenceable_staff(user), data["owner_id"], "owner_id")
    visit = services.create_visit(user, **fields)
    # What was written, even when it names another owner the caller then no longer sees.
    return Status(201, visit_out(Visit.objects.select_related("region", "owner").get(pk=visit.pk)))


@router.get("/trips", response={200: TripList} | READ_LIST)
def list_trips(request: HttpRequest, filters: Query[OutingFilters]) -> dict:
    """The trips out the caller may see, latest first."""
    user = caller(request)
    access.require_open(user)
    qs = access.trips_for(user).select_related("region", "owner")
    if filters.start:
        qs = qs.filter(end_on__gte=filters.start)
    if filters.end:
        qs = qs.filter(start_on__lte=filters.end)
    qs = qs.prefetch_related("team").order_by("-start_on", "-id")
    items = page(qs, filters.limit, filters.offset)
    return {"count": qs.count(), "items": [trip_out(t) for t in items]}


@router.get("/trips/{int:trip_id}", response={200: TripOut} | READ_ONE)
def get_trip(request: HttpRequest, trip_id: int) -> dict:
    user = caller(request)
    access.require_open(user)
    return trip_out(access.get_trip(user, trip_id))


@router.post("/trips", response={201: TripOut} | WRITE_ERRORS)
def create_trip(request: HttpRequest, payload: TripCreate) -> Status:
    """Record a trip out; the caller leads it unless it names someone else."""
    user = caller(request)
    access.require_open(user)
    if not access.can_create(user):
        raise PermissionDenied
    data = payload.model_dump()
    fields: dict[str, Any] = {
        "destinations": data["destinations"],
        "start_on": data["start_on"],
        "end_on": data["end_on"],
        "region": reference(user, "region", data["region_id"], "region_id"),
        "team": _staff(user, data["team_ids"], "team_ids"),
        "purpose": data["purpose"],
    }
    if data["owner_id"] is not None:
        fields["owner"] = existing(access.referenceable_staff(user), data["owner_id"], "owner_id")
    trip = services.create_trip(user, **fields)
    # What was written, even when it names another leader the caller then no longer sees.
    return Status(201, trip_out(Trip.objects.select_related("region", "owner").get(pk=trip.pk)))


def meeting_out(r: NegotiationRecord) -> dict[str, Any]:
    return record_out(r) | {"lead_id": r.lead_id}


@router.get("/trips/{int:trip_id}/meetings", response={200: MeetingList} | READ_ONE)
def list_meetings(request: HttpRequest, trip_id: int) -> dict:
    """The trip's meetings: those of leads the caller may see (as the trip report)."""
    user = caller(request)
    access.require_open(user)
    trip = access.get_trip(user, trip_id)
    records = list(
        trip.records.filter(lead__in=access.leads_for(user).values("pk")).order_by("date", "id")
    )
    return {"count": len(records), "items": [meeting_out(r) for r in records]}


@router.post("/trips/{int:trip_id}/meetings", response={201: MeetingOut} | WRITE_ERRORS)
def create_meeting(request: HttpRequest, trip_id: int, payload: MeetingCreate) -> Status:
    """Log a meeting of the trip as the lead's negotiation record, dated within the trip."""
    user = caller(request)
    access.require_open(user)
    trip = access.get_trip(user, trip_id, write=True)
    data = payload.model_dump()
    lead = reference(user, "lead", data.pop("lead_id"), "lead_id")
    record = services.add_meeting(trip, user, lead=lead, **data)
    return Status(201, meeting_out(record))
