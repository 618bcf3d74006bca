"""Follow-through (履约) of an event's signings: the rates, the chart over time, the laggards,
who reads them, and the cockpit's figure for a year's signings."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from guanjia.cockpit import figures as cockpit_figures
from guanjia.events import followthrough as ft
from guanjia.events.services import recount
from guanjia.testing.factories import EventFactory, ProjectFactory, SigningFactory

pytestmark = pytest.mark.django_db


def months(day: dt.date, n: int) -> dt.date:
    return ft.add_months(day, n)


@pytest.fixture
def world(city, linghai, heishan, users, own_enterprise):
    """An event 14 months ago (the first of a month, so its signings stay in its year) with
    five projects: one in operation, one started without stage dates, one registered, one
    still only signed, one withdrawn."""
    day = months(timezone.localdate().replace(day=1), -14)
    event = EventFactory(name="央地合作对接会", date=day, region=city)
    event.participants.add(own_enterprise)

    def project(name, region, stage, funds, **dates):
        return ProjectFactory(
            name=name, region=region, stage=stage, funds_in_place_wan=Decimal(funds), **dates
        )

    p1 = project(
        "风电项目",
        linghai,
        "operation",
        6000,
        signed_on=day,
        registered_on=months(day, 1),
        construction_on=months(day, 2),
        operation_on=months(day, 10),
        task_force="新能源专班",
    )
    p2 = project("针状焦项目", heishan, "construction", 0)  # imported at 开工, no dates
    p3 = project(
        "颜料项目",
        linghai,
        "registered",
        2000,
        signed_on=day,
        registered_on=months(day, 5),
        task_force="新能源专班",
    )
    p4 = project("药业项目", heishan, "signed", 0, signed_on=day)
    p5 = project("退出项目", heishan, "withdrawn", 1000, signed_on=day)
    plan = [
        (p1, linghai, day, 10000),
        (p2, heishan, day, 10000),
        (p3, linghai, day, 20000),
        (p4, heishan, day + dt.timedelta(days=1), 10000),
        (p5, heishan, day, 5000),
    ]
    for p, government, signed_on, amount in plan:
        SigningFactory(
            project=p,
            event=event,
            government=government,
            signed_on=signed_on,
            amount_wan=Decimal(amount),
        )
        recount(p)
    return {"event": event, "day": day, "p": [p1, p2, p3, p4, p5]}


def event_signings(world):
    return ft.signed().filter(event=world["event"])


def test_rates_count_stages_now_and_funds_against_contracted(world):
    rates = ft.rates(event_signings(world))
    assert rates["signed"] == 5
    assert (rates["registered"], rates["started"], rates["operating"]) == (3, 2, 1)
    assert rates["registered_rate"] == pytest.approx(0.6)
    assert rates["started_rate"] == pytest.approx(0.4)  # the undated 开工 project counts
    assert rates["operating_rate"] == pytest.approx(0.2)
    assert rates["withdrawn"] == 1
    # The withdrawn project is out of both sides of the funds ratio.
    assert rates["contracted_wan"] == Decimal(50000)
    assert rates["funds_wan"] == Decimal(8000)
    assert rates["funds_rate"] == pytest.approx(0.16)


def test_a_re_signing_does_not_count_the_project_twice(world, linghai):
    p1 = world["p"][0]
    SigningFactory(
        project=p1,
        event=world["event"],
        government=linghai,
        signed_on=world["day"] + dt.timedelta(days=2),
        amount_wan=Decimal(15000),
    )
    recount(p1)
    assert ft.rates(event_signings(world))["signed"] == 5


def test_rates_per_area_and_per_task_force(world):
    event = world["event"]
    rows = {
        r["government__name"]: r
        for r in ft.event_followthrough(event, timezone.localdate(), Q())["by_area"]
    }
    assert rows["凌海市"]["signed"] == 2
    assert rows["凌海市"]["started_rate"] == pytest.approx(0.5)
    assert rows["凌海市"]["funds_rate"] == pytest.approx(8000 / 30000)
    assert rows["黑山县"]["signed"] == 3
    assert rows["黑山县"]["registered_rate"] == pytest.approx(1 / 3)
    teams = ft.event_followthrough(event, timezone.localdate(), Q())["by_team"]
    assert [(t["project__task_force"], t["signed"]) for t in teams] == [("新能源专班", 2)]


def test_chart_counts_projects_started_3_6_12_months_after_the_event(world):
    series = ft.over_time(event_signings(world), world["day"], timezone.localdate())
    got = [(p["months"], p["registered"], p["started"], p["operating"]) for p in series]
    assert got == [(3, 1, 1, 0), (6, 2, 1, 0), (12, 2, 1, 1)]
    assert ft.undated_started(event_signings(world)) == 1


def test_chart_leaves_future_points_empty(world):
    today = months(world["day"], 4)
    series = ft.over_time(event_signings(world), world["day"], today)
    assert [p["due"] for p in series] == [True, False, False]
    assert series[1]["started"] is None


def test_laggards_signed_not_started_oldest_first(world):
    today = timezone.localdate()
    late = ft.laggards(event_signings(world), today, months=6)
    assert [s.project.name for s in late] == ["颜料项目", "药业项目"]
    assert list(ft.laggards(event_signings(world), today, months=20)) == []


def test_rates_for_all_events_in_one_query(world, city, django_assert_num_queries):
    other = EventFactory(name="医药论坛", date=world["day"], region=city)
    p = ProjectFactory(region=city, stage="construction", construction_on=world["day"])
    SigningFactory(project=p, event=other, government=city, signed_on=world["day"])
    recount(p)
    with django_assert_num_queries(1):
        every = ft.rates_for_events()
    assert every[world["event"].pk]["signed"] == 5
    assert every[other.pk]["started_rate"] == 1.0


def _panel(html: str) -> str:
    match = re.search(r'<section class="card followthrough".*?</section>', html, re.S)
    return match.group(0) if match else ""


# role → (sees the panel, signed projects it counts, areas in its table)
ACCESS = [
    ("admin", True, 5, {"凌海市", "黑山县"}),
    ("leader", True, 5, {"凌海市", "黑山县"}),
    ("steward", True, 5, {"凌海市", "黑山县"}),
    ("handler", True, 5, {"凌海市", "黑山县"}),
    ("official", True, 2, {"凌海市"}),
    ("enterprise", False, 0, set()),
]


@pytest.mark.parametrize(("role", "sees", "signed", "areas"), ACCESS)
def test_who_reads_the_follow_through(client, users, world, role, sees, signed, areas):
    client.force_login(users[role])
    response = client.get(reverse("events:event_detail", args=[world["event"].pk]))
    assert response.status_code == 200
    panel = _panel(response.content.decode())
    assert bool(panel) == sees
    if not sees:
        return
    started = re.search(r'id="ft-started">.*?(\d+) / (\d+)</div>', panel)
    assert started and int(started.group(2)) == signed
    area_table = panel.split('id="ft-by-area"')[1].split("</table>")[0]
    assert {name for name in ("凌海市", "黑山县") if name in area_table} == areas


def test_the_panel_shows_the_rates_and_the_table_fallback(client, users, world):
    client.force_login(users["admin"])
    url = reverse("events:event_detail", args=[world["event"].pk])
    panel = _panel(client.get(url).content.decode())
    assert "60.0%" in panel and "40.0%" in panel and "16.0%" in panel
    assert 'id="ft-over-time"' in panel and 'id="ft-chart"' in panel
    assert "药业项目" in panel.split('id="ft-laggards"')[1]
    none_late = _panel(client.get(url + "?lag=20").content.decode())
    assert 'id="ft-laggards"' not in none_late


def test_the_cockpit_shows_a_years_follow_through_per_area(client, users, world, city):
    figure = cockpit_figures.followthrough(city, world["day"].year)
    assert figure["total"]["signed"] == 5
    assert figure["total"]["started_rate"] == pytest.approx(0.4)
    assert figure["total"]["funds_rate"] == pytest.approx(0.16)
    areas = {row["name"]: row for row in figure["areas"]}
    assert areas["凌海市"]["registered_rate"] == pytest.approx(1.0)
    assert areas["黑山县"]["signed"] == 3
    assert areas["古塔区"]["signed"] == 0 and areas["古塔区"]["started_rate"] is None
    client.force_login(users["leader"])
    page = client.get(reverse("cockpit:index"), {"year": world["day"].year}).content.decode()
    assert 'id="cockpit-followthrough-total"' in page


def test_an_event_panel_reads_everything_in_two_queries_and_one_when_nothing_is_signed(
    world, django_assert_num_queries
):
    today = timezone.localdate()
    with django_assert_num_queries(2):  # the grouped figures, the laggards
        panel = ft.event_followthrough(world["event"], today, Q())
    # The folded figures are what each measure reads on its own.
    signings = event_signings(world)
    assert panel["totals"] == ft.rates(signings)
    assert panel["by_area"] == ft.rates_by(
        signings, "government__path", "government", "government__name"
    )
    assert panel["by_team"] == [
        r for r in ft.rates_by(signings, "project__task_force") if r["project__task_force"]
    ]
    assert panel["over_time"] == ft.over_time(signings, world["day"], today)
    assert panel["undated_started"] == ft.undated_started(signings)
    with django_assert_num_queries(1):
        empty = ft.event_followthrough(world["event"], today, Q(government__name="无此地区"))
    assert empty["totals"]["signed"] == 0 and empty["by_area"] == []
