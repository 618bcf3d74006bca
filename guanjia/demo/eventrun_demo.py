"""The 2023-03-23 conference as it was run: its 129 participants on the guest list, each
checked in on the morning, and its 44 signings on the signing list, in the order of the
signing governments. Nothing is counted again: checked-in guests are the participants the
figures already count, and each row points at its recorded signing."""

import datetime as dt

from django.utils import timezone

from guanjia.events import services
from guanjia.events.models import Event, Signing


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
