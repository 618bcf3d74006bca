"""The tolerance sweep: reminders before the promised date, suspension when it lapses, return
some working days after suspension.

Each item that awaits a step stores it and when it falls (`next_step`, `next_check_at`), so
the sweep reads only what is due. Due rows are locked with SELECT … FOR UPDATE SKIP LOCKED and
moved on inside the same transaction, so two workers never act on one step and running the
sweep again at the same moment finds nothing to do. The statuses change only through the
step engine's system steps (`services.STEPS`).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from guanjia.core.audit import audited_save
from guanjia.core.steps import run
from guanjia.notifications.services import batched
from guanjia.worktime.clock import WorkCalendar

from .models import ApprovalItem, Step
from .services import STEPS, lapse_at


def sweep(at: dt.datetime | None = None, batch: int = 200) -> int:
    """Act on every step due by `at` (default now); returns how many steps were taken."""
    moment = at or timezone.now()
    cal: WorkCalendar | None = None
    acted = 0
    while True:
        ids = list(
            ApprovalItem.objects.filter(next_check_at__lte=moment)
            .order_by("next_check_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return acted
        cal = cal or WorkCalendar.load()
        with transaction.atomic(), batched():
            rows = list(
                ApprovalItem.objects.filter(pk__in=ids, next_check_at__lte=moment)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("kind", "project__enterprise", "project__steward")
            )
            for item in rows:
                acted += _advance(item, cal, moment)
        if not rows:
            return acted  # all due rows are in another worker's hands right now


def _advance(item: ApprovalItem, cal: WorkCalendar, moment: dt.datetime) -> int:
    """Take every step of one (locked) item due by `moment`, each through the step engine
    as the system (`services.STEPS`: remind, suspend, return)."""
    acted = 0
    while item.next_check_at is not None and item.next_check_at <= moment:
        step, due = item.next_step, item.next_check_at
        if step == Step.REMIND:
            lapse = lapse_at(item, cal)
            if lapse <= moment:
                # A reminder overtaken by the lapse is not worth sending: suspend at once.
                step, due = Step.SUSPEND, lapse
        if step not in STEPS or item.status not in STEPS[step].sources:
            # An unknown step, or one its status no longer allows: stop looking at the row.
            item.next_step, item.next_check_at = "", None
            audited_save(item, None)
            continue
        item = run(STEPS, step, item, None, due=due, moment=moment, cal=cal).obj
        acted += 1
    return acted
