"""The escalation sweep: reminders at 50% and 80%, escalations at 100% and beyond, for the
intake limit (submission to acceptance), signing-for and resolution alike (`sla`).

Each open request stores its next mark and when it falls (`next_mark_at`, a partial index),
so the sweep reads only what is due. A mark is claimed with a conditional UPDATE (the row
moves on only if it still shows the mark this worker read), so two workers never act on one
mark; the unique (request, key) row in Escalation is the second lock on the same door.
Running the sweep again at the same moment finds nothing to do.

A batch of due rows is handled in one transaction (one commit, not one per mark), and the
people to tell are looked up once per area and level for the whole run.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.core import steps
from guanjia.core.audit import entry
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.notifications.services import Digests, batched, notify
from guanjia.worktime.clock import WorkCalendar

from . import services, sla
from .models import (
    INTERNAL_EVENTS,
    TIMELINE,
    Escalation,
    EventKind,
    RequestEvent,
    ServiceRequest,
    audiences,
)

logger = logging.getLogger(__name__)


class People:
    """Who hears of a mark, memoised per area for one sweep run."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, str, bool], list[User]] = {}
        self.handlers: dict[int, list[User]] = {}
        self.url: str | None = None

    def detail_url(self, pk: int) -> str:
        """The request's page (what `reverse` gives, worked out once per run)."""
        if self.url is None:
            self.url = reverse("requests:detail", args=[987654321]).replace("987654321", "{}")
        return self.url.format(pk)

    def nearest(self, sr: ServiceRequest, role: str, city_only: bool = False) -> list[User]:
        key = (sr.region_id, role, city_only)
        if key not in self.cache:
            self.cache[key] = services._nearest(sr.region, role, city_only=city_only)
        return self.cache[key]

    def for_mark(self, sr: ServiceRequest, mark: sla.Mark) -> list[User]:
        if sr.assignee_id is None and sr.department_id is not None:
            return self.for_department(sr, mark)
        return self.for_holder(sr, mark)

    def for_department(self, sr: ServiceRequest, mark: sla.Mark) -> list[User]:
        """A request waiting in a department's queue, unclaimed: its handlers are reminded;
        an escalation reaches the department's head (负责人) as well as those above."""
        if mark.level == 0:
            assert sr.department_id is not None
            if sr.department_id not in self.handlers:
                self.handlers[sr.department_id] = services.department_handlers(sr.department)
            return self.handlers[sr.department_id]
        head = sr.department.head if sr.department else None
        above = self.for_holder(sr, mark)
        if head is None or not head.is_active:
            return above
        return [head, *[u for u in above if u.pk != head.pk]]

    def for_holder(self, sr: ServiceRequest, mark: sla.Mark) -> list[User]:
        if mark.level == 1:  # the area's officials, else the city's bureau staff
            return self.nearest(sr, Role.AREA_OFFICIAL) or self.nearest(sr, Role.CITY_ADMIN)
        if mark.level == 2:  # the project's 包保领导, else the area's leaders
            if sr.project is not None and sr.project.leader is not None:
                return [sr.project.leader]
            return self.nearest(sr, Role.LEADER)
        if mark.level == 3:
            return self.nearest(sr, Role.LEADER, city_only=True)
        return [sr.assignee] if sr.assignee else []


def sweep(at: dt.datetime | None = None, batch: int = 200) -> int:
    """Act on every mark due by `at` (default now); returns how many marks were acted on.
    Each person told gets one inbox row per mark and one email for the whole run (a digest,
    queued when the run ends: `notifications.services.Digests`)."""
    moment = at or timezone.now()
    cal: WorkCalendar | None = None
    people = People()
    digests = Digests()
    acted = 0
    try:
        while True:
            # The ids first, from the partial index; the rows with their joins only when needed.
            ids = list(
                ServiceRequest.objects.filter(next_mark_at__lte=moment)
                .order_by("next_mark_at")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return acted
            cal = cal or WorkCalendar.load()
            with transaction.atomic(), batched(digests):
                work = Work(moment, people)
                due = _locked(ServiceRequest.objects.filter(pk__in=ids), moment)
                claimed = work.claim(due, cal)
                acted += work.write()
            if not claimed:
                return acted  # all due rows are in another worker's hands right now
    finally:
        digests.send()


def act_on(rows: list[ServiceRequest], at: dt.datetime) -> int:
    """What the sweep does at `at`, on rows the caller already holds locked (a batch of steps
    replaying history: `core.steps.batch`): every mark due by then is acted on, written with
    the batch. Returns how many marks were acted on."""
    people = steps.memo("requests.sweep_people", People)
    cal = services.calendar()
    acted = 0
    due = [sr for sr in rows if sr.next_mark_at is not None and sr.next_mark_at <= at]
    while due:
        work = Work(at, people)
        work.claim(due, cal)
        acted += work.write()
        due = [sr for sr in due if sr.next_mark_at is not None and sr.next_mark_at <= at]
    return acted


def _locked(qs: QuerySet[ServiceRequest], moment: dt.datetime) -> list[ServiceRequest]:
    """The rows still due, locked for this transaction; rows another worker holds are
    skipped, not waited for (SQLite has one writer at a time anyway)."""
    return list(
        qs.filter(next_mark_at__lte=moment)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("region", "project__leader", "assignee", "department__head")
    )


def _handle(
    sr: ServiceRequest, cal: WorkCalendar, moment: dt.datetime, people: People | None = None
) -> int:
    """Claim one row's mark as `sr` shows it and act on it, in a transaction of its own.
    A copy that is out of date (another worker moved the row on) claims nothing."""
    with transaction.atomic(), batched():
        work = Work(moment, people or People())
        rows = ServiceRequest.objects.filter(
            pk=sr.pk, next_mark=sr.next_mark, next_mark_at=sr.next_mark_at
        )
        work.claim(_locked(rows, moment), cal)
        return work.write()


class Work:
    """The marks one worker claimed in a batch, written together: the due rows are locked
    (SELECT … FOR UPDATE SKIP LOCKED) and moved on to their next mark in one bulk UPDATE,
    then one insert each for escalations, their recipients, timeline entries, audit entries
    and inbox rows."""

    def __init__(self, moment: dt.datetime, people: People) -> None:
        self.moment = moment
        self.people = people
        self.items: list[tuple[ServiceRequest, sla.Mark, Escalation, list[User]]] = []

    def claim(self, rows: list[ServiceRequest], cal: WorkCalendar) -> int:
        """Move each locked row on to its next mark; keep the marks to act on."""
        for sr in rows:
            mark = sla.MARKS.get(sr.next_mark)
            sr.next_mark, sr.next_mark_at = sla.following_mark(sr, cal, sr.next_mark, self.moment)
            if mark is None:
                continue
            before = (sr.escalation_level, sr.supervised)
            if mark.level:
                sr.escalation_level = max(sr.escalation_level, mark.level)
                sr.supervised = True
            # A reminder already overtaken by the next mark is not worth sending.
            if mark.level == 0 and sr.next_mark_at is not None and sr.next_mark_at <= self.moment:
                continue
            escalation = Escalation(
                request=sr,
                key=sla.mark_key(sr, mark),
                mark=mark.code,
                level=mark.level,
                at=self.moment,
            )
            sr._before = before  # type: ignore[attr-defined]
            done = sr.__dict__.get("_done_keys")  # what `services.done_keys` read before
            if done is not None:
                done.add(escalation.key)
            self.items.append((sr, mark, escalation, self.people.for_mark(sr, mark)))
        steps.update(rows, ["next_mark", "next_mark_at", "escalation_level", "supervised"])
        return len(rows)

    def write(self) -> int:
        if not self.items:
            return 0
        if steps.current_batch() is not None:
            self._write_with_batch()
            return len(self.items)
        try:
            with transaction.atomic():
                steps.insert_now([e for _sr, _m, e, _p in self.items], with_ids=True)
        except IntegrityError:
            # Some mark was acted on before (never twice for one mark): one by one, keeping
            # only the new ones.
            kept = []
            for item in self.items:
                item[2].pk, item[2]._state.adding = None, True
                try:
                    with transaction.atomic():
                        item[2].save()
                    kept.append(item)
                except IntegrityError:
                    continue
            self.items = kept
        Through = Escalation.recipients.through
        steps.insert_many(
            [
                Through(escalation_id=e.pk, user_id=u.pk)
                for _sr, _m, e, people in self.items
                for u in people
            ]
        )
        events, audits = self._records()
        steps.insert_many(events)
        steps.insert_many(audits)
        return len(self.items)

    def _write_with_batch(self) -> None:
        """Inside a batch of steps: the rows go with the batch's writes (the recipients once
        the escalations have their ids)."""
        batch = steps.current_batch()
        assert batch is not None
        recipients = batch.memo("requests.escalation_recipients", lambda: _recipients_later(batch))
        for _sr, _m, escalation, people in self.items:
            batch.insert(escalation, with_id=True)
            recipients += [(escalation, u) for u in people]
        events, audits = self._records()
        for row in [*events, *audits]:
            batch.insert(row)

    def _records(self) -> tuple[list[RequestEvent], list[AuditEntry]]:
        """The timeline entries and audit entries of the marks (the people told as well)."""
        events, audits = [], []
        with services._in_default_language():
            for sr, mark, _e, people in self.items:
                title = _title(sr, mark)
                kind = EventKind.REMIND if mark.level == 0 else EventKind.ESCALATE
                events.append(
                    RequestEvent(
                        request=sr,
                        kind=kind,
                        from_status=sr.status,
                        to_status=sr.status,
                        at=self.moment,
                        note=title,
                        data={
                            "mark": mark.code,
                            "level": mark.level,
                            "to": [str(u) for u in people],
                        },
                        internal=kind in INTERNAL_EVENTS,
                    )
                )
                told = list(people)
                if mark.level:
                    # As the row was before `claim` moved it on (`sr` shows it after).
                    level, supervised = getattr(sr, "_before", (sr.escalation_level, sr.supervised))
                    audits.append(
                        entry(
                            None,
                            AuditAction.TRANSITION,
                            sr,
                            before={"escalation_level": level, "supervised": supervised},
                            after={
                                "escalation_level": max(level, mark.level),
                                "supervised": True,
                            },
                            note=f"escalate: {mark.code}",
                        )
                    )
                    # The holder hears too: a late request is under supervision (督办).
                    told += [sr.assignee] if sr.assignee else []
                self._tell(told, "reminder" if mark.level == 0 else "escalated", title, sr, kind)
        return events, audits

    def _tell(
        self, told: list[User], kind: str, title: str, sr: ServiceRequest, about: str
    ) -> None:
        """`services._tell` for a mark (its title quotes the timeline entry's note), the
        request's link worked out once per run."""
        if not steps.telling():
            return
        shown = TIMELINE[about]
        needed = {shown.entry, shown.note}
        people = [u for u in set(told) if u is not None and needed <= audiences(u)]
        if people:
            notify(
                people,
                kind=f"request.{kind}",
                title=title,
                url=self.people.detail_url(sr.pk),
                target=sr,
            )


def _recipients_later(batch: steps.Batch) -> list[tuple[Escalation, User]]:
    """A list the batch's escalations add their recipients to, written after them."""
    pending: list[tuple[Escalation, User]] = []
    Through = Escalation.recipients.through

    def write() -> None:
        Through.objects.bulk_create(
            [Through(escalation_id=e.pk, user_id=u.pk) for e, u in pending], batch_size=1000
        )

    batch.after(write)
    return pending


TITLES: dict[int, Callable[[], str]] = {
    1: lambda: _("Request %(number)s was not signed for in time (%(who)s): escalated to you"),
    2: lambda: _("Request %(number)s is past its deadline (%(who)s): escalated to you"),
    3: lambda: _(
        "Request %(number)s is a full period past its deadline (%(who)s): escalated to the city leader"
    ),
}


def _title(sr: ServiceRequest, mark: sla.Mark) -> str:
    if mark.level == 0:
        what = (
            _("accept")
            if mark.code.startswith("intake")
            else _("sign for")
            if mark.code.startswith("sign")
            else _("resolve")
        )
        return _(
            "Request %(number)s: %(percent)s%% of the time to %(what)s it has passed; due %(due)s"
        ) % {
            "number": sr.number,
            "percent": int(mark.fraction * 100),
            "what": what,
            "due": services._fmt(sr.due_at),
        }
    if mark.code.startswith("intake"):
        return _(
            "Request %(number)s was not accepted in time (%(who)s, submitted %(submitted)s): "
            "escalated to you"
        ) % {
            "number": sr.number,
            "who": sr.assignee or "—",
            "submitted": services._fmt(sr.submitted_at),
        }
    return TITLES[mark.level]() % {"number": sr.number, "who": sr.assignee or "—"}
