"""The iCalendar feed: events (对接会, 推介会, 论坛) and steward visits the user may see."""

import datetime as dt

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from guanjia.accounts.models import User
from guanjia.events.access import events_for
from guanjia.servicerecords.access import records_for
from guanjia.servicerecords.models import Kind

# How far back the visits reach (events: all, they are few), and at most how many entries
# of each kind the feed holds.
VISITS_SINCE_DAYS = 180
MAX_ENTRIES = 2000


def _all_day(uid: str, day: dt.date, summary: str, description: str, stamp: dt.datetime) -> VEvent:
    entry = VEvent()
    entry.add("uid", uid)
    entry.add("dtstamp", stamp)
    entry.add("dtstart", day)
    entry.add("dtend", day + dt.timedelta(days=1))
    entry.add("summary", summary)
    if description:
        entry.add("description", description)
    return entry


def feed(user: User, today: dt.date | None = None) -> bytes:
    """The user's calendar as iCalendar bytes (RFC 5545)."""
    today = today or timezone.localdate()
    stamp = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        cal = Calendar()
        cal.add("prodid", "-//Guanjia//reports//ZH")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", _("Guanjia: events and visits"))
        cal.add("x-wr-timezone", settings.TIME_ZONE)
        events = events_for(user).select_related("region").order_by("-date", "-id")[:MAX_ENTRIES]
        for event in events:
            entry = _all_day(
                f"event-{event.pk}@guanjia",
                event.date,
                event.name,
                " · ".join(p for p in (event.get_kind_display(), event.organiser) if p),
                stamp,
            )
            if event.location or event.region_id:
                entry.add("location", event.location or event.region.name)
            cal.add_component(entry)
        visits = (
            records_for(user)
            .filter(kind=Kind.VISIT, date__gte=today - dt.timedelta(days=VISITS_SINCE_DAYS))
            .select_related("steward", "enterprise", "project")
            .order_by("-date", "-id")[:MAX_ENTRIES]
        )
        for visit in visits:
            what = visit.project.name if visit.project else visit.enterprise.name
            cal.add_component(
                _all_day(
                    f"visit-{visit.pk}@guanjia",
                    visit.date,
                    _("Visit: %(what)s (%(steward)s)") % {"what": what, "steward": visit.steward},
                    visit.summary,
                    stamp,
                )
            )
    return cal.to_ical()
