"""Matching land to a lead (匹配地块): the ranking and its reasons, reserving from the lead's
pages, the reminder before a reservation lapses, bureau staff reserving for their own leads,
and the land guarantee filled when a plot is transferred."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.guarantees.models import Guarantee
from guanjia.notifications.models import Notification
from guanjia.parks import matching, services
from guanjia.parks.models import ParkKind, Plot, Status
from guanjia.testing.factories import LeadFactory, ProjectFactory, UserFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def industry(industries):
    return next(iter(industries.values()))


@pytest.fixture
def land(linghai, heishan, users, industry):
    """Park A leads in the lead's industry with 12,000 kVA spare; park B does not, 8,000."""
    admin = users["admin"]
    a = services.save_park(
        admin, name="甲园区", kind=ParkKind.PROVINCIAL, region=linghai, industries=[industry]
    )
    b = services.save_park(admin, name="乙园区", kind=ParkKind.SPECIALISED, region=heishan)
    services.add_substation(admin, a, name="甲变", spare_kva=Decimal(12000))
    services.add_substation(admin, b, name="乙变", spare_kva=Decimal(8000))

    def plot(park, code, mu, price=None):
        return services.create_plot(
            admin, park=park, code=code, area_mu=Decimal(mu), price_wan_per_mu=price
        )

    return {
        "A1": plot(a, "A1", 52, Decimal(15)),
        "A3": plot(a, "A3", 200, Decimal(15)),
        "A2": plot(a, "A2", 45, Decimal(15)),
        "A4": plot(a, "A4", 60, Decimal(25)),
        "B1": plot(b, "B1", 60, Decimal(10)),
        "tiny": plot(a, "tiny", 30),
    }


@pytest.fixture
def lead(linghai, users, industry):
    return LeadFactory(
        region=linghai,
        owner=users["steward"],
        industry=industry,
        land_mu=Decimal(50),
        power_kva=Decimal(10000),
        max_price_wan_per_mu=Decimal(20),
    )


def codes(matches):
    return [m.offer.code for m in matches]


def test_plots_are_ranked_by_criteria_missed_then_score_then_closeness(land, lead):
    found = matching.match_plots(lead)
    # A1 meets all and is closest; A3 meets all with more land than needed; A2 and A4 miss one
    # (area weighs more than price); B1 misses power and industry; "tiny" is not a candidate.
    assert codes(found) == ["A1", "A3", "A4", "A2", "B1"]


def test_each_criterion_is_shown_met_or_missed(land, lead, industry):
    found = {m.offer.code: m for m in matching.match_plots(lead)}
    a1 = [(r.text, r.mark) for r in found["A1"].reasons]
    assert ("area 52 mu ≥ 50 mu", "✓") in a1
    assert ("spare capacity 12,000 kVA ≥ 10,000 kVA", "✓") in a1
    assert (f"park's leading industries include {industry}", "✓") in a1
    assert ("price 15 ≤ 20 (10k yuan per mu)", "✓") in a1
    b1 = [(r.text, r.mark) for r in found["B1"].reasons]
    assert ("spare capacity 8,000 kVA < 10,000 kVA", "✗") in b1
    assert (f"park's leading industries do not include {industry}", "✗") in b1
    assert found["A2"].missed == 1 and found["A2"].reasons[0].text == "area 45 mu < 50 mu"


def test_port_and_rail_needs_are_criteria_and_unknown_facts_show_as_such(land, lead, users):
    lead.needs_port, lead.needs_rail = True, True
    park = land["A1"].park
    services.save_park(
        users["admin"], park, name=park.name, kind=park.kind, region=park.region,
        km_to_port=Decimal(12), rail_sidings=0,
    )  # fmt: skip
    found = {m.offer.code: m for m in matching.match_plots(lead)}
    a1 = {r.key: (r.text, r.met) for r in found["A1"].reasons}
    assert a1["port"] == ("12 km to the port (≤ 30 km)", True)
    assert a1["rail"] == ("rail sidings: 0", False)
    b1 = {r.key: r.met for r in found["B1"].reasons}
    assert b1["port"] is None and b1["rail"] is None


def test_land_taken_or_held_for_another_lead_is_not_offered(land, lead, linghai, users):
    other = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(land["A1"], users["admin"], other.pk, today() + dt.timedelta(days=5))
    services.reserve(land["A3"], users["admin"], lead.pk, today() + dt.timedelta(days=5))
    found = codes(matching.match_plots(lead))
    assert "A1" not in found and "A3" in found  # its own reservation stays in view


def test_matching_runs_in_two_queries(land, lead, django_assert_max_num_queries):
    lead.industry  # noqa: B018  (the lead as the page has it)
    with django_assert_max_num_queries(2):
        matching.matches_for(lead)


# --- the pages ----------------------------------------------------------------------------------


def test_the_lead_page_shows_the_card_and_reserves_from_it(client, land, lead, users):
    client.force_login(users["steward"])
    page = reverse("leads:detail", args=[lead.pk])
    html = client.get(page).content.decode()
    assert "Matching land" in html and "A1" in html and "area 52 mu ≥ 50 mu ✓" in html
    until = (today() + dt.timedelta(days=20)).isoformat()
    url = reverse("parks:plot_step", args=[land["A1"].pk, "reserve"])
    response = client.post(url, {"lead": lead.pk, "until": until, "next": page})
    assert response.status_code == 302 and response["Location"] == page
    land["A1"].refresh_from_db()
    assert (land["A1"].status, land["A1"].reserved_for_id) == (Status.RESERVED, lead.pk)


def test_the_matching_page_lists_plots_and_buildings(client, land, lead, users):
    services.create_building(
        users["admin"], park=land["A1"].park, code="厂房1", floor_area_m2=Decimal(40000)
    )
    client.force_login(users["steward"])
    html = client.get(reverse("parks:lead_matches", args=[lead.pk])).content.decode()
    assert "A1" in html and "厂房1" in html and "floor area 40,000 m² ≥ 33,333 m²" in html


def test_a_double_reservation_is_refused_from_the_page(client, land, lead, linghai, users):
    other = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(land["A1"], users["admin"], other.pk, today() + dt.timedelta(days=5))
    client.force_login(users["steward"])
    url = reverse("parks:plot_step", args=[land["A1"].pk, "reserve"])
    until = (today() + dt.timedelta(days=20)).isoformat()
    response = client.post(url, {"lead": lead.pk, "until": until}, follow=True)
    assert "Already reserved" in response.content.decode()
    land["A1"].refresh_from_db()
    assert land["A1"].reserved_for_id == other.pk


@pytest.mark.parametrize(
    "role, own_lead, expected",
    [
        ("steward", True, "reserved"),
        ("steward", False, "refused"),
        ("official", True, "reserved"),  # keeper of the park, a lead of its area
        ("leader", True, "forbidden"),
        ("handler", True, "forbidden"),
        ("enterprise", True, "forbidden"),
    ],
)
def test_who_reserves_for_which_lead(land, linghai, users, role, own_lead, expected):
    owner = users[role] if own_lead else UserFactory(role=Role.STEWARD, region=linghai)
    if role in ("leader", "handler", "enterprise"):
        owner = users["official"]
    lead = LeadFactory(region=linghai, owner=owner)
    plot = land["A1"]
    until = today() + dt.timedelta(days=5)
    if expected == "reserved":
        services.reserve(plot, users[role], lead.pk, until)
        plot.refresh_from_db()
        assert plot.reserved_for_id == lead.pk
    elif expected == "refused":
        with pytest.raises(services.LandError):
            services.reserve(plot, users[role], lead.pk, until)
    else:
        with pytest.raises(PermissionDenied):
            services.reserve(plot, users[role], lead.pk, until)
    if expected != "reserved":
        plot.refresh_from_db()
        assert plot.status == Status.AVAILABLE


def test_a_steward_releases_their_own_leads_hold_only(land, lead, linghai, users):
    other = LeadFactory(region=linghai, owner=users["official"])
    services.reserve(land["A1"], users["steward"], lead.pk, today() + dt.timedelta(days=5))
    services.reserve(land["A3"], users["admin"], other.pk, today() + dt.timedelta(days=5))
    services.take_step(land["A1"], "release", users["steward"], reason="投资方改选他址")
    with pytest.raises(PermissionDenied):
        services.take_step(land["A3"], "release", users["steward"], reason="x")
    with pytest.raises(PermissionDenied):  # transferring stays the keepers'
        services.take(land["A3"], users["steward"], ProjectFactory(region=linghai).pk)


# --- the reminder -------------------------------------------------------------------------------


def test_the_owner_is_reminded_once_a_few_working_days_before_the_lapse(
    land, lead, users, time_machine
):
    until = today() + dt.timedelta(days=30)
    services.reserve(land["A1"], users["steward"], lead.pk, until)
    assert services.remind_reservations() == 0  # weeks ahead: not yet
    time_machine.move_to(timezone.now() + dt.timedelta(days=29))
    assert services.remind_reservations() == 1
    note = Notification.objects.get(kind="parks.reservation_lapsing")
    assert note.recipient == users["steward"] and "A1" in note.title
    assert services.remind_reservations() == 0  # once per lapse date


# --- the land guarantee -------------------------------------------------------------------------


def test_a_transferred_plot_fills_the_projects_land_guarantee(land, users, linghai):
    project = ProjectFactory(region=linghai)
    services.take(land["A1"], users["official"], project.pk)
    guarantee = Guarantee.objects.get(project=project, kind="land")
    assert (guarantee.status, guarantee.land_mu) == ("transferred", Decimal("52.00"))
    assert "A1" in guarantee.note
    assert Plot.objects.get(pk=land["A1"].pk).status == Status.TAKEN


def test_the_reasons_read_in_chinese_by_default(client, land, lead, users, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(users["steward"])
    html = client.get(reverse("parks:lead_matches", args=[lead.pk])).content.decode()
    assert "匹配地块" in html
    assert "面积 52 亩 ≥ 50 亩 ✓" in html
    assert (
        "剩余容量 8,000 kVA &lt; 10,000 kVA ✗" in html
        or "剩余容量 8,000 kVA < 10,000 kVA ✗" in html
    )
