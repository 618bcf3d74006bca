"""The tolerance sweep: reminders before the promised date, suspension when it lapses, return
some working days after suspension.

Each item that awaits a step stores it and when it falls (`next_step`, `next_check_at`), so
the sweep reads only what is due. Due rows are locked with SELECT … FOR UPDATE SKIP LOCKED and
moved on inside the same transaction, so two workers never act on one step and running the
sweep again at the same moment finds nothing to do.
"""

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import audited_save
from guanjia.notifications.services import batched, notify
from guanjia.worktime.clock import WorkCalendar

from .models import ApprovalItem, EnterpriseFlag, EventKind, FlagKind, Status, Step
from .services import _event, lapse_at, recipients


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
    """Take every step of one (locked) item due by `moment`."""
    acted = 0
    while item.next_check_at is not None and item.next_check_at <= moment:
        step, due = item.next_step, item.next_check_at
        url = reverse("projects:project_detail", args=[item.project_id]) + "#approvals"
        if step == Step.REMIND:
            lapse = lapse_at(item, cal)
            item.next_step, item.next_check_at = Step.SUSPEND, lapse
            if lapse <= moment:
                continue  # a reminder overtaken by the lapse is not worth sending
            item.reminded_at = moment
            audited_save(item, None, note="reminder")
            text = _("%(kind)s: the missing materials are promised by %(date)s.") % {
                "kind": item.kind.name,
                "date": item.promised_on.isoformat() if item.promised_on else "",
            }
            _event(item, EventKind.REMINDED, None, moment, text)
            notify(
                recipients(item),
                kind="approval.reminded",
                title=_("Approval reminder: %(project)s") % {"project": item.project.name},
                body=text,
                url=url,
                target=item,
            )
        elif step == Step.SUSPEND:
            item.status = Status.SUSPENDED
            item.suspended_at = due
            item.return_due_at = cal.add_days(due, item.kind.return_after_days)
            item.next_step, item.next_check_at = Step.RETURN, item.return_due_at
            audited_save(item, None, note="commitment lapsed")
            text = _("%(kind)s: the promised date %(date)s passed with materials missing.") % {
                "kind": item.kind.name,
                "date": item.promised_on.isoformat() if item.promised_on else "",
            }
            _event(item, EventKind.SUSPENDED, None, moment, text)
            flag = EnterpriseFlag(
                enterprise_id=item.project.enterprise_id,
                kind=FlagKind.BROKEN_COMMITMENT,
                reason=text[:300],
            )
            audited_save(flag, None)
            notify(
                recipients(item),
                kind="approval.suspended",
                title=_("Approval suspended: %(project)s") % {"project": item.project.name},
                body=text,
                url=url,
                target=item,
            )
        elif step == Step.RETURN:
            item.status = Status.RETURNED
            item.returned_at = moment
            item.next_step, item.next_check_at = "", None
            audited_save(item, None, note="returned after suspension")
            text = _("%(kind)s: returned after %(days)s working days of suspension.") % {
                "kind": item.kind.name,
                "days": item.kind.return_after_days,
            }
            _event(item, EventKind.RETURNED, None, moment, text)
            notify(
                recipients(item),
                kind="approval.returned",
                title=_("Approval returned: %(project)s") % {"project": item.project.name},
                body=text,
                url=url,
                target=item,
            )
        else:  # an unknown step: stop looking at the row
            item.next_step, item.next_check_at = "", None
            audited_save(item, None)
            continue
        acted += 1
    return acted
