"""The event pages: the list of investment-promotion events and an event's page, whose
signings are a panel (`signings_tags.signings_panel`). Parse the request, check access,
render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from guanjia.accounts.typing import AuthedRequest
from guanjia.core.views import paginate
from guanjia.enterprises import access as enterprise_access
from guanjia.events.access import events_for, get_event


@login_required
def event_list(request: AuthedRequest) -> HttpResponse:
    qs = events_for(request.user).with_figures().select_related("region").order_by("-date", "-pk")
    return render(request, "events/event_list.html", {"page": paginate(request, qs)})


@login_required
def event_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = get_event(user, pk)
    figures = type(event).objects.with_figures().get(pk=event.pk)
    participants = list(event.participants.order_by("home_city", "name"))
    visible_enterprises = set(
        enterprise_access.enterprises_for(user)
        .filter(pk__in=[e.pk for e in participants])
        .values_list("pk", flat=True)
    )
    context = {
        "event": figures,
        "participants": [(e, e.pk in visible_enterprises) for e in participants],
    }
    return render(request, "events/event_detail.html", context)
