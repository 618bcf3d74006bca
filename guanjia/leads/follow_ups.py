"""The follow-up sweep: a lead's next follow-up date reminds its owner when it comes, and,
missed by `GUANJIA_LEAD_ESCALATION_WORKDAYS` working days (the `worktime` calendar), the
area's leader. Each follow-up date is reminded once and escalated once (`reminded_for`,
`escalated_for`), so running the sweep again finds nothing to do.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.core.audit import record
from guanjia.core.models import AuditAction
from guanjia.notifications.services import notify
from guanjia.regions.models import Region
from guanjia.worktime.clock import WorkCalendar

from .models import OPEN, Lead


def workdays_missed(due: dt.date, today: dt.date, cal: WorkCalendar) -> int:
    """Working days after `due` up to and including `today`."""
    days, day = 0, due + dt.timedelta(days=1)
    while day <= today:
        days += cal.is_working_day(day)
        day += dt.timedelta(days=1)
    return days


def leaders_of(region: Region, cache: dict[int, list[User]]) -> list[User]:
    """The leaders of the area, else of its nearest ancestor that has some (the city's)."""
    if region.pk not in cache:
        found: list[User] = []
        by_region: dict[int | None, list[User]] = {}
        people = User.objects.filter(
            role=Role.LEADER, is_active=True, region__path__in=region.lineage
        ).select_related("region")
        for user in people:
            by_region.setdefault(user.region_id, []).append(user)
        for ancestor in sorted(
            Region.objects.filter(path__in=region.lineage), key=lambda r: -len(r.path)
        ):
            if ancestor.pk in by_region:
                found = by_region[ancestor.pk]
                break
        cache[region.pk] = found
    return cache[region.pk]


def sweep(today: dt.date | None = None) -> int:
    """Remind and escalate every follow-up due by `today`; returns how many notices went."""
    today = today or timezone.localdate()
    limit = settings.GUANJIA_LEAD_ESCALATION_WORKDAYS
    due = Lead.objects.filter(status__in=OPEN, next_follow_up_on__lte=today).select_related(
        "owner", "region", "investor"
    )
    cal: WorkCalendar | None = None
    leaders: dict[int, list[User]] = {}
    told = 0
    for lead in due.iterator():
        assert lead.next_follow_up_on is not None
        remind = lead.reminded_for != lead.next_follow_up_on
        escalate = False
        if lead.escalated_for != lead.next_follow_up_on:
            cal = cal or WorkCalendar.load()
            escalate = workdays_missed(lead.next_follow_up_on, today, cal) >= limit
        if not (remind or escalate):
            continue
        with transaction.atomic():
            locked = Lead.objects.select_for_update().get(pk=lead.pk)
            if locked.next_follow_up_on != lead.next_follow_up_on:
                continue  # a record moved it meanwhile
            url = reverse("leads:detail", args=[lead.pk])
            words = {
                "lead": lead.name,
                "investor": lead.investor.name,
                "on": lead.next_follow_up_on,
            }
            if remind and locked.reminded_for != lead.next_follow_up_on:
                told += len(
                    notify(
                        [lead.owner],
                        kind="lead.follow_up_due",
                        title=_("Follow up the lead “%(lead)s” (%(investor)s) by %(on)s") % words,
                        url=url,
                        target=lead,
                    )
                )
                locked.reminded_for = lead.next_follow_up_on
            if escalate:
                words["owner"] = str(lead.owner)
                told += len(
                    notify(
                        leaders_of(lead.region, leaders),
                        kind="lead.follow_up_missed",
                        title=_(
                            "The follow-up of the lead “%(lead)s” (%(investor)s) due %(on)s "
                            "was missed by %(owner)s"
                        )
                        % words,
                        url=url,
                        target=lead,
                    )
                )
                locked.escalated_for = lead.next_follow_up_on
            Lead.objects.filter(pk=lead.pk).update(
                reminded_for=locked.reminded_for, escalated_for=locked.escalated_for
            )
            record(
                None,
                AuditAction.UPDATE,
                locked,
                after={
                    "reminded_for": str(locked.reminded_for or ""),
                    "escalated_for": str(locked.escalated_for or ""),
                },
                note="follow-up sweep",
            )
    return told
