"""An event's guest list and its page read a constant number of SQL queries however many guests
there are (bench/leads.py times them with 300 guests; this only counts, on small data), and the
guest list drawn row by row by the view still shows and offers what it did."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanjia.events import services
from guanjia.events.models import GuestStatus
from guanjia.testing.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(users, linghai):
    return services.create_event(
        users["admin"], name="凌海对接会", date=dt.date(2023, 3, 23), region=linghai,
        organiser="凌海市招商局", status="ongoing",
    )  # fmt: skip


def _guests(event, users, n, start=0):  # type: ignore[no-untyped-def]
    made = []
    for i in range(start, start + n):
        enterprise = EnterpriseFactory(
            name=f"来宾企业{i:03d}有限公司", home_city="北京", region=None
        )
        guest = services.invite(event, enterprise, users["admin"], city=["北京", "上海"][i % 2])
        services.add_attendee(guest, users["admin"], name=f"来宾{i}", phone="13812345678")
        if i % 3 == 1:
            services.guest_step(guest, "check_in", users["admin"])
        made.append(guest)
    return made


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("role", ["admin", "official", "steward"])
@pytest.mark.parametrize("page", ["events:guests", "events:event_detail"])
def test_the_guest_list_and_the_event_page_cost_the_same_queries_for_few_or_many_guests(
    event, users, role, page
):
    client = Client()
    client.force_login(users[role])
    url = reverse(page, args=[event.pk])
    _guests(event, users, 3)
    client.get(url)  # the first request of a session reads more (the session, the menu)
    few, _ = _queries(client, url)
    _guests(event, users, 12, start=3)
    many, content = _queries(client, url)
    assert many == few, url
    # The guest list: session, user, event, guests, their attendees, its figures. The event
    # page: session, user, event with its figures, participants, which of them the user sees,
    # guest and signing-list figures, industries, agenda, the signings panel's signings and
    # count, the follow-through panel's figures (nothing signed here: no laggards to read). A
    # steward's project scope reads their enterprises' ids once (projects.access).
    expected = {"events:guests": 6, "events:event_detail": 12}[page]
    if role == "steward" and page == "events:event_detail":
        expected += 1
    assert few == expected, url
    assert "来宾企业014有限公司" in content or page == "events:event_detail"


def test_every_row_of_the_guest_list_offers_its_own_steps_and_qr_code(event, users):
    guests = _guests(event, users, 3)
    hostile = EnterpriseFactory(name="<b>粗体</b>企业有限公司", region=None)
    services.walk_in(event, hostile, users["admin"], city="沈阳", attendee="李四")
    client = Client()
    client.force_login(users["official"])
    page = client.get(reverse("events:guests", args=[event.pk])).content.decode()
    for guest in guests:
        guest.refresh_from_db()
        qr = reverse("events:guest_qr", args=[event.pk, guest.pk])
        add = reverse("events:attendee_add", args=[event.pk, guest.pk])
        check_in = reverse("events:guest_step", args=[event.pk, guest.pk, "check_in"])
        assert f'id="guest-{guest.pk}"' in page and qr in page and add in page
        # A guest checked in is not offered the check-in again; the others are.
        assert (check_in in page) == (guest.status != GuestStatus.CHECKED_IN)
    # Names are escaped; a walk-in says so; the masked phone, never the number.
    assert "&lt;b&gt;粗体&lt;/b&gt;企业有限公司" in page and "<b>粗体" not in page
    assert "来宾0" in page and "13812345678" not in page
    # Every form carries the CSRF token: a row's check-in posts and works.
    first = guests[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["official"])
    page = client.get(reverse("events:guests", args=[event.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 2)[2].split('"', 1)[0]
    response = client.post(
        reverse("events:guest_step", args=[event.pk, first.pk, "check_in"]),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == GuestStatus.CHECKED_IN


def test_a_reader_of_the_guest_list_sees_the_rows_without_their_actions(event, users):
    guest = _guests(event, users, 1)[0]
    client = Client()
    client.force_login(users["steward"])
    page = client.get(reverse("events:guests", args=[event.pk])).content.decode()
    assert "来宾企业000有限公司" in page
    assert reverse("events:guest_qr", args=[event.pk, guest.pk]) not in page
    assert reverse("events:attendee_add", args=[event.pk, guest.pk]) not in page
