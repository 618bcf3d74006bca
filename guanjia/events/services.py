"""Recording events and signings, and applying the counting rule."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import signing as django_signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import audited_save, record
from guanjia.core.models import AuditAction
from guanjia.core.steps import run
from guanjia.enterprises.models import Enterprise
from guanjia.projects import services as project_services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .models import (
    AgendaItem,
    Attendee,
    Event,
    EventStatus,
    Guest,
    GuestStatus,
    RowStatus,
    Signing,
    SigningListRow,
)
from .steps import EVENT_STEPS, GUEST_STEPS, ROW_STEPS

CHECKIN_SALT = "guanjia.events.checkin"


@transaction.atomic
def create_event(
    actor: Any,
    participants: list[Any] | None = None,
    industries: list[Any] | None = None,
    agenda: list[dict[str, str]] | None = None,
    **fields: Any,
) -> Event:
    """Record an event. One recorded after its day (a past conference) is finished."""
    if "status" not in fields and fields.get("date") and fields["date"] < timezone.localdate():
        fields["status"] = EventStatus.FINISHED
    event = Event(**fields)
    audited_save(event, actor)
    if participants:
        event.participants.set(participants)
    if industries:
        event.industries.set(industries)
    if agenda:
        set_agenda(event, agenda, actor)
    return event


@transaction.atomic
def update_event(
    event: Event,
    actor: Any,
    industries: list[Any] | None = None,
    agenda: list[dict[str, str]] | None = None,
    **fields: Any,
) -> Event:
    """Change an event's plan (its status moves only by its steps)."""
    fields.pop("status", None)
    for name, value in fields.items():
        setattr(event, name, value)
    audited_save(event, actor)
    if industries is not None:
        before = sorted(event.industries.values_list("name", flat=True))
        event.industries.set(industries)
        after = sorted(i.name for i in industries)
        if before != after:
            record(
                actor, AuditAction.UPDATE, event, {"industries": before}, {"industries": after},
                "theme industries",
            )  # fmt: skip
    if agenda is not None:
        set_agenda(event, agenda, actor)
    return event


def parse_agenda(text: str) -> list[dict[str, str]]:
    """The agenda typed one item a line: `时间 | 议程 | 发言人` (time and speaker optional;
    a full-width ｜ works too). Raises ValidationError naming the line."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) == 1:
            parts = ["", parts[0], ""]
        parts = (parts + ["", ""])[:3]
        time, title, speaker = parts
        if not title:
            raise ValidationError(
                {"agenda": _("line %(n)s of the agenda has no title") % {"n": number}}
            )
        if len(time) > 20 or len(title) > 200 or len(speaker) > 120:
            raise ValidationError({"agenda": _("line %(n)s is too long") % {"n": number}})
        items.append({"time": time, "title": title, "speaker": speaker})
    return items


def agenda_text(event: Event) -> str:
    return "\n".join(" | ".join((a.time, a.title, a.speaker)) for a in event.agenda.all())


def set_agenda(event: Event, items: list[dict[str, str]], actor: Any) -> None:
    """Replace the event's agenda by `items`, in order; audited as one change."""
    before = agenda_text(event)
    event.agenda.all().delete()
    AgendaItem.objects.bulk_create(
        AgendaItem(event=event, position=i, **item) for i, item in enumerate(items, start=1)
    )
    after = agenda_text(event)
    if before != after:
        record(actor, AuditAction.UPDATE, event, {"agenda": before}, {"agenda": after}, "agenda")


def event_step(event: Event, name: str, actor: Any) -> Event:
    """Take an event's step (start, finish, reopen): `steps.EVENT_STEPS`."""
    return run(EVENT_STEPS, name, event, actor).obj


# --- the guest list ---------------------------------------------------------------------


@transaction.atomic
def invite(event: Event, enterprise: Enterprise, actor: Any, *, city: str = "") -> Guest:
    """Invite an enterprise; the city it comes from defaults to its home city."""
    if Guest.objects.filter(event=event, enterprise=enterprise).exists():
        raise ValidationError(
            {"enterprise": _("%(name)s is already on the guest list") % {"name": enterprise}}
        )
    guest = Guest(event=event, enterprise=enterprise, city=city or enterprise.home_city)
    try:
        with transaction.atomic():
            audited_save(guest, actor, "invited")
    except IntegrityError:
        raise ValidationError(
            {"enterprise": _("%(name)s is already on the guest list") % {"name": enterprise}}
        ) from None
    return guest


@transaction.atomic
def add_attendee(
    guest: Guest, actor: Any, *, name: str, title: str = "", phone: str = ""
) -> Attendee:
    attendee = Attendee(guest=guest, name=name.strip(), title=title.strip(), phone=phone.strip())
    audited_save(attendee, actor)
    return attendee


def guest_step(guest: Guest, name: str, actor: Any) -> Guest:
    """RSVP and check-in: `steps.GUEST_STEPS` (accept, decline, check_in)."""
    return run(GUEST_STEPS, name, guest, actor).obj


def check_in(guest: Guest, actor: Any, at: dt.datetime | None = None) -> Guest:
    """Check a guest in (now, or `at` for an attendance recorded afterwards)."""
    return run(GUEST_STEPS, "check_in", guest, actor, at=at).obj


@transaction.atomic
def walk_in(
    event: Event,
    enterprise: Enterprise,
    actor: Any,
    *,
    city: str = "",
    attendee: str = "",
    title: str = "",
    phone: str = "",
) -> Guest:
    """A guest nobody invited: added to the list and checked in at once."""
    existing = Guest.objects.filter(event=event, enterprise=enterprise).first()
    guest = existing or Guest(event=event, enterprise=enterprise, walk_in=True)
    if existing is None:
        guest.city = city or enterprise.home_city
        audited_save(guest, actor, "walk-in")
    if attendee:
        add_attendee(guest, actor, name=attendee, title=title, phone=phone)
    if guest.status != GuestStatus.CHECKED_IN:
        guest = check_in(guest, actor)
    return guest


def checkin_token(guest: Guest) -> str:
    """The signed, unguessable token of a guest's QR code (it names the event and the guest;
    anyone without the secret key can neither forge nor alter one)."""
    return django_signing.dumps({"e": guest.event_id, "g": guest.pk}, salt=CHECKIN_SALT)


def guest_for_token(event: Event, token: str) -> Guest | None:
    """The guest a QR token names, if it is genuine and of this event; else None."""
    try:
        data = django_signing.loads(token, salt=CHECKIN_SALT)
    except django_signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("e") != event.pk
        or not isinstance(data.get("g"), int)
    ):
        return None
    return Guest.objects.select_related("enterprise").filter(event=event, pk=data["g"]).first()


def guest_figures(event: Event) -> dict[str, int]:
    """The guest list's own figures, shown beside the headline ones (which count
    participants): invited, accepted, checked in, walk-ins, and the cities they come from."""
    in_status = {s: Count("pk", filter=Q(status=s)) for s in GuestStatus.values}
    with_city = ~Q(city="")
    present = Q(status=GuestStatus.CHECKED_IN)
    got = Guest.objects.filter(event=event).aggregate(
        invited=Count("pk"),
        walk_ins=Count("pk", filter=Q(walk_in=True)),
        cities=Count("city", filter=with_city, distinct=True),
        cities_present=Count("city", filter=with_city & present, distinct=True),
        **{f"n_{s}": n for s, n in in_status.items()},
    )  # one query, not seven
    return {
        "invited": got["invited"],
        "accepted": got[f"n_{GuestStatus.ACCEPTED}"] + got[f"n_{GuestStatus.CHECKED_IN}"],
        "declined": got[f"n_{GuestStatus.DECLINED}"],
        "checked_in": got[f"n_{GuestStatus.CHECKED_IN}"],
        "walk_ins": got["walk_ins"],
        "cities": got["cities"],
        "cities_present": got["cities_present"],
    }


# --- the signing list (签约清单) ------------------------------------------------------------


@transaction.atomic
def add_row(
    event: Event,
    actor: Any,
    *,
    project: Project,
    government: Any,
    amount_wan: Decimal,
    enterprises: list[Any] | None = None,
    position: int | None = None,
) -> SigningListRow:
    """Add a project to the signing list (拟签). It counts nowhere until confirmed."""
    if amount_wan is None or amount_wan < 0:
        raise ValidationError({"amount_wan": _("the contracted amount must be zero or more")})
    if SigningListRow.objects.filter(event=event, project=project).exists():
        raise ValidationError({"project": _("this project is already on the signing list")})
    if position is None:
        last = SigningListRow.objects.filter(event=event).order_by("-position").first()
        position = (last.position if last else 0) + 1
    row = SigningListRow(
        event=event,
        project=project,
        government=government,
        amount_wan=amount_wan,
        position=position,
    )
    audited_save(row, actor)
    row.enterprises.set(enterprises or [project.enterprise])
    return row


@transaction.atomic
def list_signed(event: Event, signing: Signing, actor: Any, *, position: int) -> SigningListRow:
    """Put a signing already recorded at this event on its signing list, as 已签 (a ceremony
    entered after the day). Nothing is counted again: the row points at the signing."""
    if signing.event_id != event.pk:
        raise ValidationError({"signing": _("this signing was not made at this event")})
    row = SigningListRow(
        event=event, project=signing.project, government=signing.government,
        amount_wan=signing.amount_wan, position=position, status=RowStatus.SIGNED,
        signing=signing,
    )  # fmt: skip
    audited_save(row, actor, "listed after the day")
    row.enterprises.set(signing.enterprises.all())
    return row


def row_step(row: SigningListRow, name: str, actor: Any, **fields: Any) -> SigningListRow:
    """Confirm a row at the ceremony (confirm, not_signed, replan): `steps.ROW_STEPS`."""
    return run(ROW_STEPS, name, row, actor, **fields).obj


def row_figures(event: Event) -> dict[str, Any]:
    got = SigningListRow.objects.filter(event=event).aggregate(
        rows=Count("pk"),
        planned_wan=Coalesce(Sum("amount_wan"), Decimal(0), output_field=DecimalField()),
        **{s: Count("pk", filter=Q(status=s)) for s in RowStatus.values},
    )  # one query, not five
    return {
        "rows": got["rows"],
        "planned_wan": got["planned_wan"],
        "signed": got[RowStatus.SIGNED],
        "not_signed": got[RowStatus.NOT_SIGNED],
        "open": got[RowStatus.PLANNED],
    }


def recount(project: Project) -> None:
    """Apply the counting rule to all of a project's signings, in date order.

    A project counts once, at its first signing, with its full amount; each later signing
    (re-signing, expansion) counts only the increase over the highest amount before it.
    """
    signings = list(Signing.objects.filter(project=project).order_by("signed_on", "id"))
    Signing.objects.filter(project=project).update(is_first=False)
    highest = Decimal(0)
    for i, signing in enumerate(signings):
        counted = signing.amount_wan if i == 0 else max(Decimal(0), signing.amount_wan - highest)
        highest = max(highest, signing.amount_wan)
        Signing.objects.filter(pk=signing.pk).update(is_first=(i == 0), counted_amount_wan=counted)


@transaction.atomic
def record_signing(
    actor: Any,
    *,
    project: Project,
    government: Any,
    signed_on: dt.date,
    amount_wan: Decimal,
    event: Event | None = None,
    enterprises: list[Any] | None = None,
    note: str = "",
) -> Signing:
    """Record a signing; a project not yet signed moves to the signed stage.

    A re-signing or expansion of a project already under way leaves its stage alone.
    """
    if amount_wan is None or amount_wan < 0:
        raise ValidationError({"amount_wan": _("the contracted amount must be zero or more")})
    signing = Signing(
        project=project,
        event=event,
        government=government,
        signed_on=signed_on,
        amount_wan=amount_wan,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audited_save(signing, actor)
    signing.enterprises.set(enterprises or [project.enterprise])
    recount(project)
    project.refresh_from_db()
    if project.stage in (Stage.LEAD, Stage.NEGOTIATING):
        project_services.transition(
            project,
            Stage.SIGNED,
            actor,
            on=signed_on,
            evidence=_("signing at %(event)s") % {"event": event} if event else _("signing"),
        )
    signing.refresh_from_db()
    return signing


def merge_enterprise(keep: Enterprise, duplicate: Enterprise) -> None:
    """An enterprise merge (`enterprises.services.on_merge`): the kept enterprise takes the
    duplicate's place in signings and among events' participants."""
    for signing in Signing.objects.filter(enterprises=duplicate):
        signing.enterprises.remove(duplicate)
        signing.enterprises.add(keep)
    for event in Event.objects.filter(participants=duplicate):
        event.participants.remove(duplicate)
        event.participants.add(keep)
    for guest in Guest.objects.filter(enterprise=duplicate):
        if Guest.objects.filter(event=guest.event_id, enterprise=keep).exists():
            guest.attendees.update(guest=Guest.objects.get(event=guest.event_id, enterprise=keep))
            guest.delete()
        else:
            Guest.objects.filter(pk=guest.pk).update(enterprise=keep)
    for row in SigningListRow.objects.filter(enterprises=duplicate):
        row.enterprises.remove(duplicate)
        row.enterprises.add(keep)
