"""The demo's two events as they were run, through the events' services and steps.

- The 2023-03-23 conference: its 129 participants on the guest list, each checked in on the
  morning, and its 44 signings on the signing list, in the order of the signing governments.
  Nothing is counted again: checked-in guests are the participants the figures already count,
  and each row points at its recorded signing (a ceremony entered after the day).
- The 2023-03-29 forum, run from the start: invitations (with the people each enterprise
  sends), answers, the signing list prepared before the day; on the day the guests checked in
  (which makes them the participants the figures count), walk-ins added, and the rows
  confirmed at the ceremony (which records the signings the counting rule reads).
"""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from guanjia.core import steps
from guanjia.enterprises.models import Contact, Enterprise
from guanjia.events import services
from guanjia.events.models import Event, Guest, Signing
from guanjia.projects.models import Project

from . import data


def run_the_conference_day(event: Event) -> None:
    if event.guests.exists():
        return
    morning = timezone.make_aware(dt.datetime.combine(event.date, dt.time(8, 30)))
    for n, enterprise in enumerate(event.participants.order_by("home_city", "name")):
        guest = services.invite(event, enterprise, None)
        services.guest_step(guest, "accept", None)
        services.check_in(guest, None, at=morning + dt.timedelta(seconds=20 * n))
    signings = (
        Signing.objects.filter(event=event)
        .select_related("project", "government")
        .order_by("government__path", "government__sort_order", "pk")
    )
    for position, signing in enumerate(signings, start=1):
        services.list_signed(event, signing, None, position=position)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class _People:
    """The people enterprises send: their primary contact first (entered once, with the
    enterprise), and for some a second person drawn from the demo's name pools."""

    def __init__(self, enterprises: list[Enterprise], rng: random.Random) -> None:
        self.rng = rng
        self.contacts = {
            c.enterprise_id: c
            for c in Contact.objects.filter(
                enterprise__in=[e.pk for e in enterprises], is_primary=True
            ).order_by("pk")
        }

    def person(self) -> tuple[str, str, str]:
        rng = self.rng
        name = rng.choice(data.SURNAMES) + "".join(rng.sample(data.GIVEN, rng.choice([1, 2, 2])))
        phone = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        return name, rng.choice(data.CONTACT_TITLES), phone

    def of(self, enterprise: Enterprise) -> list[tuple[str, str, str]]:
        contact = self.contacts.get(enterprise.pk)
        sent = [(contact.name, contact.title, contact.phone) if contact else self.person()]
        if self.rng.random() < 0.4:
            sent.append(self.person())
        return sent


def run_the_forum(
    event: Event,
    *,
    guests: list[Enterprise],
    walk_ins: list[Enterprise],
    declined: list[Enterprise],
    no_shows: list[Enterprise],
    signings: list[tuple[Project, list[Enterprise]]],
    not_signed: list[Project],
    rng: random.Random,
) -> None:
    """Run the forum (an event in preparation) to its end.

    `guests` are invited and come (a few without ever answering), `walk_ins` come uninvited:
    together they are the participants. `declined` and `no_shows` are invited but do not come.
    `signings` are the projects signed at the ceremony (with their signing enterprises), in
    the order of their signing governments on the list; `not_signed` are on the list but not
    signed on the day. Every write goes through `events.services` and its steps."""
    day = event.date
    people = _People([*guests, *walk_ins, *declined, *no_shows], rng)
    invited = sorted([*guests, *declined, *no_shows], key=lambda e: (e.home_city, e.name))

    # Two weeks before: the invitations, with who each enterprise sends.
    rows: list[Guest] = []
    for enterprise in invited:
        guest = services.invite(event, enterprise, None)
        for name, title, phone in people.of(enterprise):
            services.add_attendee(guest, None, name=name, title=title, phone=phone)
        rows.append(guest)
    by_enterprise = {g.enterprise_id: g for g in rows}
    # The answers, in by a week before (a few never answer, and come anyway).
    silent = {e.pk for e in rng.sample(guests, data.FORUM_UNANSWERED)}
    refusing = {e.pk for e in declined}
    with steps.batch(at=_at(day - dt.timedelta(days=7), 17), quiet=True) as answers:
        answers.hold(rows)
        for guest in rows:
            if guest.enterprise_id in refusing:
                services.guest_step(guest, "decline", None)
            elif guest.enterprise_id not in silent:
                services.guest_step(guest, "accept", None)

    # Before the day: the signing list (拟签), in the order the governments sign.
    def order(item: Project) -> tuple[str, int, int]:
        return (item.region.path, item.region.sort_order, item.pk)

    parties = {p.pk: enterprises for p, enterprises in signings}
    listed = sorted([*(p for p, _e in signings), *not_signed], key=order)
    list_rows = [
        services.add_row(
            event,
            None,
            project=project,
            government=project.region,
            amount_wan=Decimal(project.total_investment_wan),
            enterprises=parties.get(project.pk) or [project.enterprise],
            position=position,
        )
        for position, project in enumerate(listed, start=1)
    ]

    # The day: the doors open at 8:30; guests check in (walk-ins are added at the desk).
    services.event_step(event, "start", None)
    morning = _at(day, 8, 30)
    absent = {e.pk for e in no_shows} | refusing
    arriving = [e for e in invited if e.pk not in absent]
    with steps.batch(at=morning, quiet=True) as desk:
        desk.hold(rows)
        for n, enterprise in enumerate(arriving):
            services.check_in(
                by_enterprise[enterprise.pk], None, at=morning + dt.timedelta(seconds=25 * n)
            )
    for n, enterprise in enumerate(walk_ins, start=1):
        name, title, phone = people.of(enterprise)[0]
        with steps.batch(at=_at(day, 9, 5 * n), quiet=True):
            services.walk_in(event, enterprise, None, attendee=name, title=title, phone=phone)

    # The ceremony: each row confirmed (已签: the signing is recorded) or not (未签).
    left_off = {p.pk for p in not_signed}
    for row in list_rows:
        if row.project_id in left_off:
            services.row_step(row, "not_signed", None)
        else:
            services.row_step(row, "confirm", None, signed_on=day)
    services.event_step(event, "finish", None)
