"""Requests (诉求) through the direct line: list, read, submit, and every step of the loop.

Access is the web's (`guanjia.requests.access`): a request the caller may not see is 404; a
step the caller may not take is 403; a step the request's status does not allow now is 409;
bad input for a step is 422 naming the field. What each caller sees of a timeline is
`guanjia.requests.models.TIMELINE`: enterprise contacts never see its internal part (bounces,
extensions, reminders, escalations, supervision, internal notes) nor the notes staff write
on routing steps (accept, dispatch, sign-for, transfer).
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Created
from pydantic import BeforeValidator, WithJsonSchema

from guanjia.accounts.models import Role, User
from guanjia.core.bounds import text_limit
from guanjia.core.steps import check as check_step
from guanjia.enterprises.access import referenced_enterprise
from guanjia.enterprises.models import Enterprise
from guanjia.requests import access, queue, services
from guanjia.requests.models import (
    INTERNAL_EVENTS,
    OPEN_PARTS,
    OPEN_STATUSES,
    Attachment,
    Audience,
    Category,
    EventKind,
    Extension,
    ExtensionStatus,
    PartStatus,
    Priority,
    Rating,
    RequestEvent,
    RequestPart,
    RevisitChannel,
    RevisitOutcome,
    ServiceRequest,
    Source,
    audiences,
    kinds_seen,
)
from guanjia.requests.models import Status as RequestStatus
from guanjia.requests.open311 import make_title

from .common import answer, caller, page, reference, region_ref, user_ref
from .errors import ApiError, django_errors, field_error, invalid
from .schemas import (
    EnterpriseRef,
    ErrorOut,
    Id,
    Input,
    InvalidOut,
    Name,
    Page,
    ProjectRef,
    RegionRef,
    Text,
    UserRef,
    WorkingDays,
)

router = Router(tags=["requests"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidOut}
JOINED = ("category", "enterprise", "project", "region", "department")
PEOPLE = ("steward", "assignee", "submitted_by")
RELATED = JOINED + PEOPLE
# Names in the services' errors → the names the API takes them under.
FIELD_NAMES = {
    "to": "to_id",
    "into": "into_id",
    "department": "department_id",
    "project": "project_id",
    "enterprise": "enterprise_id",
}


# --- schemas ----------------------------------------------------------------------------


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


class DepartmentRef(Schema):
    id: int
    name: str


class CategoryRef(Schema):
    id: int
    code: str = Field(description="also the Open311 service_code")
    name: str


class CategoryOut(CategoryRef):
    description: str
    group: str
    default_priority: Priority
    department: DepartmentRef | None = Field(description="the department that usually answers")


class CategoryList(Schema):
    count: int
    items: list[CategoryOut]


class RequestItem(Schema):
    id: int
    number: str = Field(description="e.g. ZT20260000012; the Open311 service_request_id")
    title: str
    status: RequestStatus
    is_open: bool
    priority: Priority
    category: CategoryRef
    enterprise: EnterpriseRef
    project: ProjectRef | None
    region: RegionRef = Field(description="the area that answers for it")
    source: Source
    submitted_at: dt.datetime
    steward: UserRef | None
    assignee: UserRef | None = Field(description="who holds it now")
    department: DepartmentRef | None
    due_at: dt.datetime | None = Field(description="the deadline that matters now")
    intake_due_at: dt.datetime | None = Field(
        description="the deadline to accept it (受理时限); null without an intake limit"
    )
    accepted_at: dt.datetime | None = Field(description="null until accepted or dispatched")
    resolve_due_at: dt.datetime | None = Field(description="null until dispatched")
    rating: Rating | None
    press_count: int = Field(description="times the enterprise pressed for an answer (催办)")
    pressed_at: dt.datetime | None = Field(description="when it last pressed")
    supervised: bool | None = Field(description="null for enterprise contacts")
    escalation_level: int | None = Field(description="null for enterprise contacts")
    updated_at: dt.datetime


# Inline, not a $ref: pydantic names an enum's schema after its class, and the events app's
# EventKind (an event's kind) has the same name, so one would overwrite the other in the
# OpenAPI components.
TimelineEventKind = Annotated[
    EventKind, WithJsonSchema({"type": "string", "enum": [k.value for k in EventKind]})
]


class TimelineEventOut(Schema):
    id: int
    kind: TimelineEventKind
    from_status: RequestStatus | None
    to_status: RequestStatus | None
    actor: UserRef | None
    at: dt.datetime
    note: str = Field(description="empty where the caller may not read it")
    data: dict[str, Any]
    internal: bool = Field(description="the enterprise does not see this entry")
    note_internal: bool = Field(description="the enterprise does not read this entry's note")


class PartOut(Schema):
    id: int
    handler: UserRef | None = Field(description="the assisting handler (协办)")
    department: DepartmentRef | None
    ask: str = Field(description="what the lead asked of them")
    status: PartStatus
    asked_at: dt.datetime
    signed_at: dt.datetime | None
    answer: str
    answered_at: dt.datetime | None
    decline_reason: str


class ExtensionOut(Schema):
    id: int
    days: str = Field(description="working days, a decimal string")
    reason: str
    status: ExtensionStatus
    asked_by: UserRef | None
    asked_at: dt.datetime
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    decision_note: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class RevisitOut(Schema):
    id: int
    channel: RevisitChannel
    outcome: RevisitOutcome = Field(description="the enterprise's answer")
    answer: str = Field(description="what the enterprise said")
    by: UserRef | None
    at: dt.datetime


class RequestOut(RequestItem):
    text: str
    submitted_by: UserRef | None
    answer: str
    dispatched_at: dt.datetime | None
    sign_due_at: dt.datetime | None
    reply_due_at: dt.datetime | None
    signed_at: dt.datetime | None
    first_response_at: dt.datetime | None
    replied_at: dt.datetime | None
    on_time: bool | None
    closed_at: dt.datetime | None
    extension_days: str
    rating_comment: str
    rated_at: dt.datetime | None
    reopen_count: int
    revisit_required: bool = Field(description="rated 不满意: a revisit is owed before closing")
    revisit_due_at: dt.datetime | None
    revisited_at: dt.datetime | None
    revisits: list[RevisitOut] = Field(description="回访, oldest first")
    bounce_reason: str | None = Field(description="null for enterprise contacts")
    merged_into: int | None = Field(
        description="a merged duplicate: the id of the request it was closed into"
    )
    allowed_steps: list[str] = Field(description="the steps the caller may take now")
    events: list[TimelineEventOut] = Field(description="the timeline, oldest first")
    extensions: list[ExtensionOut] = Field(description="empty for enterprise contacts")
    parts: list[PartOut] = Field(
        description="co-handling (协办): the assistants' parts; empty for enterprise contacts"
    )
    attachments: list[AttachmentOut]


class RequestList(Schema):
    count: int
    items: list[RequestItem]


class RequestFilters(Page):
    status: Annotated[
        RequestStatus | Literal["open", "closed"] | None, BeforeValidator(_blank_is_none)
    ] = Field(None, description="a status, or open / closed")
    category: str = Field("", pattern=r"^$|^[-\w]{1,40}$", description="a category's code or id")
    q: Text = Field("", max_length=100, description="part of the number or the title")
    queue: Literal["", "unclaimed", "assisting"] = Field(
        "",
        description="unclaimed: the caller's department queue (dispatched to the department, "
        "nobody claimed yet); assisting: requests where the caller has an open part (协办)",
    )


class RequestCreate(Input):
    category: Text = Field(min_length=1, max_length=40, description="a category's code")
    text: Text = Field(min_length=1, max_length=text_limit(ServiceRequest, "text"))
    title: Name = Field(
        "",
        max_length=text_limit(ServiceRequest, "title"),
        description="the text's first line (60 characters) if left out",
    )
    project_id: Id | None = None
    priority: Priority | None = Field(None, description="the category's default if left out")
    enterprise_id: Id | None = Field(
        None, description="staff submitting on an enterprise's behalf; contacts leave it out"
    )


class StepIn(Input):
    to_id: Id | None = Field(None, description="dispatch, transfer, arbitrate (upheld), assist")
    department_id: Id | None = Field(
        None,
        description="dispatch, transfer, arbitrate (upheld): to this department's queue "
        "instead of a person (to_id)",
    )
    part: Text = Field("", max_length=500, description="assist: what the assistant is asked")
    upheld: bool | None = Field(None, description="arbitrate")
    note: Text = Field("", max_length=5000)
    answer: Text = Field("", max_length=5000, description="reply, accept_reply, give_info")
    question: Text = Field("", max_length=5000, description="ask_info")
    rating: Rating | None = Field(None, description="rate")
    comment: Text = Field("", max_length=500, description="rate; required when unsatisfied")
    days: WorkingDays | None = Field(None, description="ask_extension: working days")
    reason: Text = Field("", max_length=500, description="bounce, withdraw, ask_extension")
    channel: RevisitChannel | None = Field(None, description="revisit: phone, visit or message")
    outcome: RevisitOutcome | None = Field(
        None, description="revisit: the enterprise's answer, satisfied or unsatisfied"
    )
    extension_id: Id | None = Field(
        None, description="decide_extension; the pending one if left out"
    )
    approve: bool | None = Field(None, description="decide_extension")
    into_id: Id | None = Field(
        None, description="merge: the request of the same enterprise this one duplicates"
    )


def step_fields(step: str) -> tuple[set[str], set[str]]:
    """What a step takes in a request body, from the table of steps: (must be sent, may be)."""
    fields = services.STEPS[step].fields
    return (
        {f.api_name for f in fields if f.required},
        {f.api_name for f in fields if not f.required},
    )


# --- serialising ------------------------------------------------------------------------


def _department(department: Any) -> dict[str, Any] | None:
    return None if department is None else {"id": department.pk, "name": department.name}


def _sees_internals(user: User) -> bool:
    return Audience.STAFF in audiences(user)


def request_item(sr: ServiceRequest, user: User) -> dict[str, Any]:
    staff = _sees_internals(user)
    e, c = sr.enterprise, sr.category
    return {
        "id": sr.pk,
        "number": sr.number,
        "title": sr.title,
        "status": sr.status,
        "is_open": sr.is_open,
        "priority": sr.priority,
        "category": {"id": c.pk, "code": c.code, "name": c.name},
        "enterprise": {"id": e.pk, "name": e.name, "credit_code": e.credit_code},
        "project": None if sr.project is None else {"id": sr.project.pk, "name": sr.project.name},
        "region": region_ref(sr.region),
        "source": sr.source,
        "submitted_at": sr.submitted_at,
        "steward": user_ref(sr.steward),
        "assignee": user_ref(sr.assignee),
        "department": _department(sr.department),
        "due_at": sr.due_at,
        "intake_due_at": sr.intake_due_at,
        "accepted_at": sr.accepted_at,
        "resolve_due_at": sr.resolve_due_at,
        "rating": sr.rating or None,
        "press_count": sr.press_count,
        "pressed_at": sr.pressed_at,
        "supervised": sr.supervised if staff else None,
        "escalation_level": sr.escalation_level if staff else None,
        "updated_at": sr.updated_at,
    }


def _as_read(sr: ServiceRequest) -> ServiceRequest:
    """`sr` with its values as a read of its row gives them (moments in UTC, decimals to
    their places), so the answer to a submission is the answer to reading it."""
    for field in sr._meta.concrete_fields:
        value = getattr(sr, field.attname)
        if isinstance(field, models.DateTimeField) and isinstance(value, dt.datetime):
            setattr(sr, field.attname, value.astimezone(dt.UTC))
        elif isinstance(field, models.DecimalField) and isinstance(value, Decimal):
            setattr(sr, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places)))
    return sr


def request_detail(
    pk: int,
    user: User,
    *,
    new: ServiceRequest | None = None,
    in_hand: ServiceRequest | None = None,
) -> dict[str, Any]:
    """The request as the API shows it. `new`: a request just submitted, as `services.submit`
    returned it — its one event, no files, no extensions, parts or revisits yet: nothing to
    read back. `in_hand`: the request as a step just wrote it (`services.take_in_hand`), with
    its RELATED objects: its row is not read again, its timeline and files are.

    Extensions, parts and revisits are read only when the timeline has the step that makes
    them (ask_extension, assist, revisit: each writes its entry with its row) — or when the
    caller does not see that entry, so its absence says nothing."""
    staff = _sees_internals(user)
    events: Iterable[RequestEvent]
    attachments: Iterable[Attachment]
    if new is not None:
        sr = _as_read(new)
        events = new.__dict__["_new_events"]
        attachments = []
    else:
        sr = _as_read(in_hand) if in_hand is not None else (
            ServiceRequest.objects.select_related(*RELATED).get(pk=pk)
        )  # fmt: skip
        # What of the timeline the caller sees, entry by entry and text by text: TIMELINE.
        events = list(
            RequestEvent.objects.filter(request=sr).visible_to(user).select_related("actor")
        )
        attachments = Attachment.objects.filter(request=sr).visible_to(user)
    present = {ev.kind for ev in events}
    seen = set(kinds_seen(user))

    def may_have(kind: str) -> bool:
        return new is None and (kind in present or kind not in seen)

    extensions = (
        [
            {
                "id": x.pk,
                "days": format(x.days, "f"),
                "reason": x.reason,
                "status": x.status,
                "asked_by": user_ref(x.asked_by),
                "asked_at": x.asked_at,
                "decided_by": user_ref(x.decided_by),
                "decided_at": x.decided_at,
                "decision_note": x.decision_note,
            }
            for x in sr.extensions.select_related("asked_by", "decided_by")
        ]
        if staff and may_have(EventKind.EXTENSION_ASKED)
        else []
    )
    parts = (
        [
            {
                "id": p.pk,
                "handler": user_ref(p.handler),
                "department": _department(p.department),
                "ask": p.ask,
                "status": p.status,
                "asked_at": p.asked_at,
                "signed_at": p.signed_at,
                "answer": p.answer,
                "answered_at": p.answered_at,
                "decline_reason": p.decline_reason,
            }
            for p in sr.parts.select_related("handler", "department")
        ]
        if staff and may_have(EventKind.ASSIST)
        else []
    )
    return request_item(sr, user) | {
        "parts": parts,
        "text": sr.text,
        "submitted_by": user_ref(sr.submitted_by),
        "answer": sr.answer,
        "dispatched_at": sr.dispatched_at,
        "sign_due_at": sr.sign_due_at,
        "reply_due_at": sr.reply_due_at,
        "signed_at": sr.signed_at,
        "first_response_at": sr.first_response_at,
        "replied_at": sr.replied_at,
        "on_time": sr.on_time,
        "closed_at": sr.closed_at,
        "extension_days": format(sr.extension_days, "f"),
        "rating_comment": sr.rating_comment,
        "rated_at": sr.rated_at,
        "reopen_count": sr.reopen_count,
        "revisit_required": sr.revisit_required,
        "revisit_due_at": sr.revisit_due_at,
        "revisited_at": sr.revisited_at,
        "revisits": [
            {
                "id": r.pk,
                "channel": r.channel,
                "outcome": r.outcome,
                "answer": r.answer,
                "by": user_ref(r.by),
                "at": r.at,
            }
            for r in (sr.revisits.select_related("by") if may_have(EventKind.REVISIT) else [])
        ],
        "bounce_reason": sr.bounce_reason if staff else None,
        "merged_into": sr.merged_into_id,
        "allowed_steps": services.allowed_steps(user, sr),
        "events": [
            {
                "id": ev.pk,
                "kind": ev.kind,
                "from_status": ev.from_status or None,
                "to_status": ev.to_status or None,
                "actor": user_ref(ev.actor),
                "at": ev.at,
                "note": ev.note_for(user),
                "data": ev.data,
                "internal": ev.kind in INTERNAL_EVENTS,
                "note_internal": ev.note_is_internal,
            }
            for ev in events
        ],
        "extensions": extensions,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("requests:attachment", args=[sr.pk, a.pk]),
            }
            for a in attachments
        ],
    }


def _refused(exc: services.RequestError) -> ApiError:
    """A step's refusal: bad input for a field is 422; a step not allowed now is 409."""
    errors = [
        field_error(FIELD_NAMES.get(e["field"], e["field"]), e["message"])
        for e in django_errors(exc)
    ]
    if hasattr(exc, "error_dict"):
        return ApiError(422, _("The input is not valid."), errors)
    return ApiError(409, _("The step was refused."), errors)


# --- reading ----------------------------------------------------------------------------


@router.get("/categories", response={200: CategoryList, 401: ErrorOut})
def list_categories(request: HttpRequest) -> dict:
    """The categories in use (the Open311 service list), in their order."""
    items = [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "description": c.description,
            "group": c.group,
            "default_priority": c.default_priority,
            "department": _department(c.department),
        }
        for c in Category.objects.filter(active=True).select_related("department")
    ]
    return {"count": len(items), "items": items}


def _filtered(qs: QuerySet[ServiceRequest], filters: RequestFilters) -> QuerySet[ServiceRequest]:
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        by = Q(category__code=filters.category)
        if filters.category.isdigit() and len(filters.category) < 19:
            by |= Q(category_id=int(filters.category))
        qs = qs.filter(by)
    if filters.q:
        qs = qs.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    return qs


@router.get("", response={200: RequestList, 401: ErrorOut, 422: InvalidOut})
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> HttpResponse:
    """Requests the caller may see, newest first, with the filtered set's count."""
    user = caller(request)
    qs = _filtered(access.requests_for(user), filters)
    if filters.queue == "unclaimed":
        qs = queue.unclaimed(qs, user)
    elif filters.queue == "assisting":
        qs = qs.filter(
            pk__in=RequestPart.objects.filter(handler=user, status__in=OPEN_PARTS).values(
                "request_id"
            )
        )
    # The page's keys first, then its rows by key: one query joining all eight relations
    # under the sort and the limit cost PostgreSQL ~45 ms of planning per call.
    ids = page(qs.order_by("-submitted_at", "-id").values_list("pk", flat=True), filters.limit,
               filters.offset)  # fmt: skip
    return answer({"count": qs.count(), "items": list_items(ids, user)})


# What a list item reads of a request and the five relations it joins (`request_item`).
ITEM_VALUES = (
    "pk", "number", "title", "status", "priority", "category_id", "category__code",
    "category__name", "enterprise_id", "enterprise__name", "enterprise__credit_code",
    "project_id", "project__name", "region_id", "region__code", "region__name", "source",
    "submitted_at", "steward_id", "assignee_id", "department_id", "department__name", "due_at",
    "intake_due_at", "accepted_at", "resolve_due_at", "rating", "press_count", "pressed_at",
    "supervised", "escalation_level", "updated_at",
)  # fmt: skip


def list_items(ids: list[int], user: User) -> list[dict[str, Any]]:
    """`request_item` of each request of `ids`, in that order, from plain rows: one query for
    the requests with their five joined relations, one for the names of their people (no
    model instances but the people's, no schema validation: see `common.answer`)."""
    if not ids:
        return []
    rows = {r["pk"]: r for r in ServiceRequest.objects.filter(pk__in=ids).values(*ITEM_VALUES)}
    people = {r["steward_id"] for r in rows.values()} | {r["assignee_id"] for r in rows.values()}
    people.discard(None)
    names = {
        u.pk: {"id": u.pk, "name": str(u)}
        for u in User.objects.filter(pk__in=people).only(
            "id", "display_name", "first_name", "last_name", "username"
        )
    }
    staff = _sees_internals(user)
    items = []
    for pk in ids:
        r = rows[pk]
        items.append({
            "id": pk,
            "number": r["number"],
            "title": r["title"],
            "status": r["status"],
            "is_open": r["status"] in OPEN_STATUSES,
            "priority": r["priority"],
            "category": {
                "id": r["category_id"], "code": r["category__code"], "name": r["category__name"],
            },
            "enterprise": {
                "id": r["enterprise_id"],
                "name": r["enterprise__name"],
                "credit_code": r["enterprise__credit_code"],
            },
            "project": None
            if r["project_id"] is None
            else {"id": r["project_id"], "name": r["project__name"]},
            "region": None
            if r["region_id"] is None
            else {"id": r["region_id"], "code": r["region__code"], "name": r["region__name"]},
            "source": r["source"],
            "submitted_at": r["submitted_at"],
            "steward": names.get(r["steward_id"]),
            "assignee": names.get(r["assignee_id"]),
            "department": None
            if r["department_id"] is None
            else {"id": r["department_id"], "name": r["department__name"]},
            "due_at": r["due_at"],
            "intake_due_at": r["intake_due_at"],
            "accepted_at": r["accepted_at"],
            "resolve_due_at": r["resolve_due_at"],
            "rating": r["rating"] or None,
            "press_count": r["press_count"],
            "pressed_at": r["pressed_at"],
            "supervised": r["supervised"] if staff else None,
            "escalation_level": r["escalation_level"] if staff else None,
            "updated_at": r["updated_at"],
        })  # fmt: skip
    return items


@router.get("/{int:request_id}", response={200: RequestOut} | READ_ERRORS)
def get_request(request: HttpRequest, request_id: int) -> dict:
    """One request with its timeline, the steps the caller may take, and its attachments."""
    user = caller(request)
    sr = access.get_request(user, request_id)
    return request_detail(sr.pk, user)


# --- writing ----------------------------------------------------------------------------


def _enterprise_for_submit(user: User, enterprise_id: int | None) -> tuple[Enterprise, str]:
    """The enterprise the request is for, and the source it is recorded under."""
    if user.role == Role.ENTERPRISE:
        if user.enterprise_id is None:
            raise PermissionDenied
        if enterprise_id is not None and enterprise_id != user.enterprise_id:
            raise invalid("enterprise_id", _("You can submit requests only for your enterprise."))
        # The enterprise with what a submission reads of it (its area, its steward): one query.
        own = Enterprise.objects.select_related("region", "steward").get(pk=user.enterprise_id)
        return own, Source.API
    if not user.can_write:
        raise PermissionDenied
    if enterprise_id is None:
        raise invalid("enterprise_id", _("Say which enterprise the request is for."))
    # One the caller may name, with its area and steward (what the submission reads of it).
    enterprise = referenced_enterprise(
        user, enterprise_id, "enterprise_id", related=("region", "steward")
    )
    assert enterprise is not None
    return enterprise, Source.STAFF


@router.post("", response={201: RequestOut} | WRITE_ERRORS)
def submit_request(request: HttpRequest, payload: RequestCreate) -> Created:
    """Submit a request: an enterprise contact for their enterprise, or staff on its behalf.

    It goes to the enterprise's steward to accept; the clock starts when it is dispatched.
    """
    user = caller(request)
    enterprise, source = _enterprise_for_submit(user, payload.enterprise_id)
    category = services.active_category(payload.category)
    if category is None:
        raise invalid("category", _("there is no category with this code in use"))
    project = reference(user, "project", payload.project_id, "project_id")
    try:
        sr = services.submit(
            user,
            enterprise=enterprise,
            category=category,
            title=payload.title or make_title(payload.text),
            text=payload.text,
            project=project,
            priority=payload.priority or "",
            source=source,
        )
    except services.RequestError as exc:
        raise _refused(exc) from exc
    # The answer from the objects in hand, not a re-read of the new request through its joins.
    return Created(201, request_detail(sr.pk, user, new=sr))


def _check_step_input(step: str, sent: set[str]) -> None:
    required, optional = step_fields(step)
    errors = [field_error(name, _("this field is required")) for name in sorted(required - sent)]
    errors += [
        field_error(name, _("this field is not accepted here"))
        for name in sorted(sent - required - optional)
    ]
    if errors:
        raise ApiError(422, _("The input is not valid."), errors)


def _person(user: User, sr: ServiceRequest, pk: int | None) -> User | None:
    """Whom a request goes to: someone it may go to (`access.assignable_people`); anyone else,
    a person of another area included, is the 422 of an unknown id."""
    return reference(user, "assignee", pk, "to_id", request=sr)


def _extension(sr: ServiceRequest, pk: int | None) -> Extension:
    """The extension a decision is about: the one named, else the pending one."""
    pending = sr.extensions.all()
    if pk is None:
        pending = pending.filter(status=ExtensionStatus.PENDING)
    else:
        pending = pending.filter(pk=pk)
    extension = pending.first()
    if extension is None:
        raise invalid("extension_id", _("no extension of this request is waiting for this"))
    return extension


def _take(step: str, sr: ServiceRequest, user: User, data: StepIn) -> None:
    """Take `step` with the body's fields, as the table of steps names them."""
    fields: dict[str, Any] = {}
    for field in services.STEPS[step].fields:
        value = getattr(data, field.api_name)
        if field.name == "to":
            value = _person(user, sr, value)
        elif field.name == "into":  # only another of the enterprise's requests (as the page)
            qs = access.merge_candidates(user, sr)
            value = reference(user, "request", value, "into_id", qs=qs)
        elif field.name == "department":
            value = reference(user, "request_department", value, "department_id", request=sr)
        elif field.name == "extension":
            value = _extension(sr, value)
        elif field.name in ("upheld", "approve"):
            value = bool(value)
        elif field.name in ("rating", "channel", "outcome"):
            value = str(value)
        fields[field.name] = value
    services.take_in_hand(step, sr, user, **fields)


@router.post(
    "/{int:request_id}/steps/{step}",
    response={200: RequestOut, 409: InvalidOut} | WRITE_ERRORS,
)
def take_step(request: HttpRequest, request_id: int, step: str, payload: StepIn) -> dict:
    """Take one step of the loop; the body carries that step's fields.

    Steps and their fields: accept (note), accept_reply (answer: the request's own steward
    accepts and answers it at once, no department needed), dispatch (to_id or department_id,
    note), sign (note), claim (note: a handler takes it from their department's queue),
    transfer (to_id or department_id, note), bounce (reason), arbitrate (upheld, note, to_id
    or department_id when upheld), assist (to_id, part: the lead asks someone's assistance,
    协办), sign_part (note), reply_part (answer), decline_part (reason): the assistant's own
    part, ask_info
    (question), give_info (answer), note (note), internal_note (note: staff only, never shown
    to the enterprise), reply (answer), close (note), rate (rating,
    comment), revisit (channel, outcome, note: what the enterprise said; owed before closing
    a request rated unsatisfied), withdraw (reason), ask_extension (days, reason),
    decide_extension (approve, extension_id, note), supervise (note), merge (into_id, note:
    the request is closed as a duplicate of another of the same enterprise), press (note: 催办
    by the enterprise once the deadline is near or passed; 429 with Retry-After within the
    interval). `allowed_steps` in the
    request's detail lists those the caller may take now.
    """
    user = caller(request)
    sr = access.get_request(user, request_id, related=RELATED)
    if step not in services.STEPS:
        raise Http404("no such step")
    try:
        check_step(services.STEPS, step, sr, user)
    except services.RequestError as exc:
        raise ApiError(
            409, _("The step was refused."), [field_error(None, " ".join(exc.messages))]
        ) from exc
    _check_step_input(step, set(payload.model_dump(exclude_unset=True, exclude_none=True)))
    try:
        _take(step, sr, user, payload)
    except services.PressTooSoon as exc:
        raise ApiError(429, " ".join(exc.messages), retry_after=exc.retry_after, limit=1) from exc
    except services.RequestError as exc:
        raise _refused(exc) from exc
    # The answer from the request in hand, as the step wrote it (not read back).
    return request_detail(sr.pk, user, in_hand=sr)
