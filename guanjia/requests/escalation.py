"""The escalation sweep: reminders at 50% and 80%, escalations at 100% and beyond.

Each open request stores its next mark and when it falls (`next_mark_at`, indexed), so the
sweep reads only what is due. A mark is claimed with a conditional UPDATE (the row moves on
only if it still shows the mark this worker read), so two workers never act on one mark; the
unique (request, key) row in Escalation is the second lock on the same door. Running the
sweep again at the same moment finds nothing to do.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import record
from guanjia.core.models import AuditAction
from guanjia.worktime.clock import WorkCalendar

from . import services, sla
from .models import Escalation, EventKind, RequestEvent, ServiceRequest

logger = logging.getLogger(__name__)


def sweep(at: dt.datetime | None = None, batch: int = 500) -> int:
    """Act on every mark due by `at` (default now); returns how many marks were acted on."""
    moment = at or timezone.now()
    cal: WorkCalendar | None = None
    acted = 0
    while True:
        due = list(
            ServiceRequest.objects.filter(next_mark_at__lte=moment)
            .select_related("region", "project", "enterprise", "assignee", "steward")
            .order_by("next_mark_at")[:batch]
        )
        if not due:
            return acted
        cal = cal or WorkCalendar.load()
        for sr in due:
            acted += _handle(sr, cal, moment)


def _handle(sr: ServiceRequest, cal: WorkCalendar, moment: dt.datetime) -> int:
    mark = sla.MARKS.get(sr.next_mark)
    following, following_at = sla.following_mark(sr, cal, sr.next_mark, moment)
    with transaction.atomic():
        claimed = ServiceRequest.objects.filter(
            pk=sr.pk, next_mark=sr.next_mark, next_mark_at=sr.next_mark_at
        ).update(next_mark=following, next_mark_at=following_at)
        if not claimed or mark is None:
            return 0  # another worker took it, or the request moved on
        # A reminder already overtaken by the next mark is not worth sending.
        if mark.level == 0 and following_at is not None and following_at <= moment:
            return 0
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    request=sr,
                    key=sla.mark_key(sr, mark),
                    mark=mark.code,
                    level=mark.level,
                    at=moment,
                )
        except IntegrityError:
            return 0  # acted on before: never twice for one mark
        _act(sr, mark, escalation, moment)
    return 1


def _recipients(sr: ServiceRequest, mark: sla.Mark) -> list[User]:
    if mark.level == 1:
        return services.area_leads(sr)
    if mark.level == 2:
        return services.leaders_in_charge(sr)
    if mark.level == 3:
        return services.city_leaders(sr)
    return [sr.assignee] if sr.assignee else []


def _act(sr: ServiceRequest, mark: sla.Mark, escalation: Escalation, moment: dt.datetime) -> None:
    recipients = _recipients(sr, mark)
    escalation.recipients.set(recipients)
    with services._in_default_language():
        if mark.level == 0:
            what = _("sign for") if mark.code.startswith("sign") else _("resolve")
            title = _(
                "Request %(number)s: %(percent)s%% of the time to %(what)s it has passed; due %(due)s"
            ) % {
                "number": sr.number,
                "percent": int(mark.fraction * 100),
                "what": what,
                "due": services._fmt(sr.due_at),
            }
            kind, event_kind = "reminder", EventKind.REMIND
        else:
            title = {
                1: _("Request %(number)s was not signed for in time (%(who)s): escalated to you"),
                2: _("Request %(number)s is past its deadline (%(who)s): escalated to you"),
                3: _(
                    "Request %(number)s is a full period past its deadline (%(who)s): escalated to the city leader"
                ),
            }[mark.level] % {"number": sr.number, "who": sr.assignee or "—"}
            kind, event_kind = "escalated", EventKind.ESCALATE
        RequestEvent.objects.create(
            request=sr,
            kind=event_kind,
            from_status=sr.status,
            to_status=sr.status,
            at=moment,
            note=title,
            data={"mark": mark.code, "level": mark.level, "to": [str(u) for u in recipients]},
            internal=True,
        )
        if mark.level:
            before = {"escalation_level": sr.escalation_level, "supervised": sr.supervised}
            level = max(sr.escalation_level, mark.level)
            ServiceRequest.objects.filter(pk=sr.pk).update(escalation_level=level, supervised=True)
            record(
                None,
                AuditAction.TRANSITION,
                sr,
                before=before,
                after={"escalation_level": level, "supervised": True},
                note=f"escalate: {mark.code}",
            )
            # The holder hears too: a late request is under supervision (督办).
            recipients = [*recipients, *([sr.assignee] if sr.assignee else [])]
        services._tell(set(recipients), kind, title, sr)
