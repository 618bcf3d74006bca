"""Events and their headline figures, computed from the records by the counting rule."""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router

from guanjia.events.access import events_for
from guanjia.events.models import Event, Signing
from guanjia.projects.access import projects_for

from .common import caller, page, region_ref
from .schemas import ErrorOut, EventList, EventOut, InvalidOut, Page, money

router = Router(tags=["events"])


def event_item(e: Event) -> dict[str, Any]:
    return {
        "id": e.pk,
        "date": e.date,
        "name": e.name,
        "enterprise_count": e.enterprise_count,  # type: ignore[attr-defined]
        "city_count": e.city_count,  # type: ignore[attr-defined]
        "signing_count": e.signing_count,  # type: ignore[attr-defined]
        "signed_investment_wan": money(e.signed_investment_wan),  # type: ignore[attr-defined]
    }


@router.get("", response={200: EventList, 401: ErrorOut, 422: InvalidOut})
def list_events(request: HttpRequest, paging: Query[Page]) -> dict:
    """Events the caller may see, newest first, each with its headline figures."""
    qs = events_for(caller(request))
    items = page(qs.with_figures().order_by("-date", "-id"), paging.limit, paging.offset)
    return {"count": qs.count(), "items": [event_item(e) for e in items]}


@router.get("/{int:event_id}", response={200: EventOut, 401: ErrorOut, 404: ErrorOut})
def get_event(request: HttpRequest, event_id: int) -> dict:
    """One event: its figures, and the signings of the projects the caller may see."""
    user = caller(request)
    event = events_for(user).with_figures().select_related("region").filter(pk=event_id).first()
    if event is None:
        raise Http404("no such event")
    signings = (
        Signing.objects.filter(event=event, project__in=projects_for(user).values("pk"))
        .select_related("project", "government")
        .order_by("signed_on", "id")
    )
    return event_item(event) | {
        "kind": event.kind,
        "organiser": event.organiser,
        "location": event.location,
        "region": region_ref(event.region),
        "signings": [
            {
                "id": s.pk,
                "project": {"id": s.project.pk, "name": s.project.name},
                "government": region_ref(s.government),
                "signed_on": s.signed_on,
                "amount_wan": money(s.amount_wan),
                "counted_amount_wan": money(s.counted_amount_wan),
                "is_first": s.is_first,
            }
            for s in signings
        ],
    }
