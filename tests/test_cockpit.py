"""The leaders' cockpit: rollups against direct counts, area scoping, who may see it."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.cockpit import figures
from guanjia.cockpit import services as cockpit_services
from guanjia.cockpit.models import FlowRollup, ProjectRollup, RefreshState
from guanjia.core.scheduling import REGISTRY
from guanjia.events import services as event_services
from guanjia.events.models import Signing
from guanjia.projects.ledger import LedgerFilter
from guanjia.projects.models import Project
from guanjia.projects.stages import LINE, ORDER, Stage
from guanjia.regions.models import Region
from guanjia.requests.models import OPEN_STATUSES, Category, Rating, ServiceRequest, Status
from guanjia.servicerecords import figures as service_figures
from guanjia.servicerecords.models import Kind, ServiceRecord
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025
PAGE = reverse("cockpit:index")
DATA = reverse("cockpit:data")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Asia/Shanghai"


def _project(region, industry, stage, signed_on=None, amount="10000", funds="0", **dates):
    fields = {
        "region": region,
        "industry": industry,
        "stage": stage,
        "signed_on": signed_on,
        "total_investment_wan": Decimal(amount),
        "funds_in_place_wan": Decimal(funds),
    }
    fields.update(dates)
    return ProjectFactory(**fields)


def _request(n, enterprise, region, category, **fields):
    fields.setdefault("status", Status.CLOSED)
    fields.setdefault("submitted_at", dt.datetime(YEAR, 1, 2, 9, tzinfo=SHANGHAI))
    return ServiceRequest.objects.create(
        number=f"ZT{YEAR}{n:04d}",
        enterprise=enterprise,
        region=region,
        category=category,
        title=f"诉求{n}",
        text="需要协调",
        **fields,
    )


@pytest.fixture
def world(users, regions, industries, city, linghai, heishan):
    """Projects, signings, requests and services in 凌海, 黑山 and 古塔 with known figures."""
    admin = users["admin"]
    gutai = regions["210702"]
    energy, pharma = industries["新能源"], industries["生物医药"]
    d = dt.date
    # Signed in YEAR through signings (the counting rule applies).
    p1 = _project(linghai, energy, Stage.LEAD, amount="50000", funds="20000")
    event_services.record_signing(
        admin, project=p1, government=linghai, signed_on=d(YEAR, 3, 23), amount_wan=Decimal(50000)
    )
    p2 = _project(
        heishan, energy, Stage.CONSTRUCTION, d(YEAR, 3, 23), "80000", "30000",
        registered_on=d(YEAR, 4, 10), construction_on=d(YEAR, 6, 1),
    )  # fmt: skip
    event_services.record_signing(
        admin, project=p2, government=heishan, signed_on=d(YEAR, 3, 23), amount_wan=Decimal(80000)
    )
    # Signed the year before, expanded in YEAR: only the increase counts, in YEAR.
    p3 = _project(
        linghai, pharma, Stage.OPERATION, d(YEAR - 1, 5, 5), "30000", "30000",
        registered_on=d(YEAR - 1, 6, 1), construction_on=d(YEAR - 1, 9, 1),
        operation_on=d(YEAR, 2, 1),
    )  # fmt: skip
    event_services.record_signing(
        admin,
        project=p3,
        government=linghai,
        signed_on=d(YEAR - 1, 5, 5),
        amount_wan=Decimal(20000),
    )
    event_services.record_signing(
        admin, project=p3, government=linghai, signed_on=d(YEAR, 7, 7), amount_wan=Decimal(30000)
    )
    # Signed in YEAR with no signing record (an imported ledger): counts with its investment.
    _project(
        gutai, pharma, Stage.OPERATION, d(YEAR, 1, 15), "12000", "6000",
        registered_on=d(YEAR, 2, 1), construction_on=d(YEAR, 3, 1), operation_on=d(YEAR, 11, 30),
    )  # fmt: skip
    # Signed in YEAR then withdrawn: counts as signed, never as landed.
    _project(
        heishan, None, Stage.WITHDRAWN, d(YEAR, 12, 31), "9000",
        registered_on=d(YEAR, 12, 31), withdrawn_on=d(YEAR, 12, 31),
    )  # fmt: skip
    _project(linghai, energy, Stage.REGISTERED, d(YEAR, 8, 8), "7000", registered_on=d(YEAR, 9, 9))
    # Not signed: the pipeline.
    _project(linghai, energy, Stage.LEAD, lead_on=d(YEAR, 1, 1), amount="3000")
    _project(heishan, pharma, Stage.NEGOTIATING, negotiating_on=d(YEAR, 2, 2), amount="4000")
    # Another year entirely.
    _project(gutai, energy, Stage.SIGNED, d(YEAR + 1, 1, 5), "1000")

    s1 = users["steward"]
    s2 = UserFactory(username="s2", role=Role.STEWARD, region=heishan)
    ent_l = EnterpriseFactory(region=linghai)
    ent_h = EnterpriseFactory(region=heishan)
    today = timezone.localdate()

    def rec(steward, enterprise, region, day):
        ServiceRecord.objects.create(
            steward=steward, enterprise=enterprise, region=region, kind=Kind.VISIT, date=day,
            summary="服务",
        )  # fmt: skip

    for day in (d(YEAR, 1, 3), d(YEAR, 5, 6), d(YEAR, 12, 31), today):
        rec(s1, ent_l, linghai, day)
    rec(s1, ent_h, heishan, d(YEAR, 2, 2))
    rec(s2, ent_h, heishan, d(YEAR, 2, 2))
    rec(s2, ent_h, heishan, today)
    rec(s2, ent_h, heishan, d(YEAR - 1, 12, 31))

    category = Category.objects.create(code="land", name="用地")
    at = lambda *args: dt.datetime(*args, tzinfo=SHANGHAI)  # noqa: E731
    _request(
        1, ent_l, linghai, category, steward=s1, assignee=s1,
        replied_at=at(YEAR, 3, 31, 23, 30), on_time=True,
        rating=Rating.SATISFIED, rated_at=at(YEAR, 4, 1, 9),
    )  # fmt: skip
    _request(
        2, ent_h, heishan, category, steward=s1, assignee=s2,
        replied_at=at(YEAR, 3, 15, 10), on_time=False,
        rating=Rating.UNSATISFIED, rated_at=at(YEAR, 3, 20, 10),
    )  # fmt: skip
    # Answered at 23:30 local on New Year's Eve: in YEAR, though it is already UTC's Dec 31.
    _request(
        3, ent_h, heishan, category, steward=s2, assignee=users["handler"],
        replied_at=at(YEAR, 12, 31, 23, 30), on_time=True,
        rating=Rating.BASICALLY, rated_at=at(YEAR + 1, 1, 1, 0, 30),
    )  # fmt: skip
    # Answered on 1 January 00:30 local (still Dec 31 in UTC): next year.
    _request(
        4, ent_l, linghai, category, steward=s1, assignee=s1,
        replied_at=at(YEAR + 1, 1, 1, 0, 30), on_time=True,
    )  # fmt: skip
    now = timezone.now()
    # Open: one overdue, one not yet due, one overdue but paused (no due date).
    _request(
        5, ent_l, linghai, category, steward=s1, status=Status.HANDLING,
        due_at=now - dt.timedelta(hours=2),
    )  # fmt: skip
    _request(
        6, ent_h, heishan, category, steward=s2, status=Status.DISPATCHED,
        due_at=now + dt.timedelta(days=2),
    )  # fmt: skip
    _request(7, ent_h, heishan, category, steward=s2, status=Status.AWAITING_INFO)
    cockpit_services.refresh()
    return {"s1": s1, "s2": s2, "gutai": gutai}


# --- Direct counts over the records ----------------------------------------------------------


def _subtree(region):
    return Region.objects.filter(path__startswith=region.path).values("pk") if region else None


def _projects(region):
    qs = Project.objects.all()
    return qs.filter(region__in=_subtree(region)) if region else qs


def direct_signed(region, year):
    signings = Signing.objects.filter(signed_on__year=year)
    if region:
        signings = signings.filter(project__region__in=_subtree(region))
    bare = _projects(region).filter(signed_on__year=year, signings__isnull=True)
    count = signings.filter(is_first=True).count() + bare.count()
    amount = (signings.aggregate(s=Sum("counted_amount_wan"))["s"] or 0) + (
        bare.aggregate(s=Sum("total_investment_wan"))["s"] or 0
    )
    return count, Decimal(amount)


def direct_rate(region, year, stage):
    cohort = _projects(region).filter(signed_on__year=year)
    reached = cohort.filter(stage__in=LINE[ORDER[stage] :]).count()
    return reached / cohort.count() if cohort.count() else None


def direct_funds(region, year):
    cohort = _projects(region).filter(signed_on__year=year).exclude(stage=Stage.WITHDRAWN)
    row = cohort.aggregate(f=Sum("funds_in_place_wan"), t=Sum("total_investment_wan"))
    return float(row["f"]) / float(row["t"]) if row["t"] else None


@pytest.mark.parametrize("where", ["all", "city", "linghai", "heishan", "gutai"])
def test_every_kpi_agrees_with_a_direct_count(world, regions, where):
    region = None if where == "all" else {
        "city": regions["210700"], "linghai": regions["210781"], "heishan": regions["210726"],
        "gutai": regions["210702"],
    }[where]  # fmt: skip
    k = figures.kpis(region, YEAR)
    count, amount = direct_signed(region, YEAR)
    assert k["signed_count"] == count
    assert k["signed_investment"] == amount
    assert k["landing_rate"] == direct_rate(region, YEAR, Stage.REGISTERED)
    assert k["start_rate"] == direct_rate(region, YEAR, Stage.CONSTRUCTION)
    assert k["operation_rate"] == direct_rate(region, YEAR, Stage.OPERATION)
    funds = direct_funds(region, YEAR)
    assert k["funds_rate"] == (None if funds is None else pytest.approx(funds))
    # The direct line's rates are the stewards' figures page's, for the whole year.
    totals = service_figures.totals(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), region)
    assert k["requests_on_time_rate"] == totals.on_time_rate
    assert k["satisfaction_rate"] == totals.satisfaction_rate
    today = timezone.localdate()
    month = service_figures.totals(today.replace(day=1), today, region)
    assert k["services_this_month"] == month.services
    overdue = ServiceRequest.objects.filter(
        status__in=OPEN_STATUSES, due_at__lt=figures.last_refreshed()
    )
    if region:
        overdue = overdue.filter(region__in=_subtree(region))
    assert k["overdue_now"] == overdue.count()


def test_the_known_figures_of_the_world(world, city, linghai):
    k = figures.kpis(city, YEAR)
    # p1, p2 by signing; p4 without one; withdrawn; registered one: 5 first signings.
    assert k["signed_count"] == 5
    # 50000 + 80000 + 10000 (p3's increase) + 12000 + 9000 + 7000
    assert k["signed_investment"] == Decimal(168000)
    assert k["overdue_now"] == 1
    assert k["requests_on_time_rate"] == pytest.approx(2 / 3)  # requests 1, 2, 3
    assert k["satisfaction_rate"] == pytest.approx(1 / 2)  # rated in YEAR: 1 and 2
    assert k["services_this_month"] == 2
    assert figures.kpis(linghai, YEAR)["signed_count"] == 2


def test_charts_agree_with_direct_counts(world, city, regions):
    year_signed = direct_signed(city, YEAR)
    industries = figures.by_industry(city, YEAR)
    assert sum(r["projects"] for r in industries) == year_signed[0]
    assert sum(r["amount_wan"] for r in industries) == year_signed[1]
    assert industries[-1]["industry_id"] is None  # the withdrawn one had no industry

    areas = figures.by_area(city, YEAR)
    assert [a["code"] for a in areas] == [
        "210702", "210703", "210711", "210726", "210727", "210781", "210782",
        "210700Z1", "210700Z2",
    ]  # fmt: skip
    for area in areas:
        region = Region.objects.get(pk=area["region_id"])
        assert (area["projects"], area["amount_wan"]) == direct_signed(region, YEAR)
        assert area["overdue_now"] == figures.kpis(region, YEAR)["overdue_now"]

    for row in figures.funnel(city, YEAR):
        expected = _projects(city).filter(stage__in=LINE[ORDER[row["stage"]] :]).count()
        assert row["projects"] == expected, row["stage"]

    for row in figures.monthly(city, YEAR):
        m = row["month"]
        assert (
            row["started"]
            == _projects(city).filter(construction_on__year=YEAR, construction_on__month=m).count()
        )
        assert (
            row["operating"]
            == _projects(city).filter(operation_on__year=YEAR, operation_on__month=m).count()
        )
    assert sum(r["signed"] for r in figures.monthly(city, YEAR)) == year_signed[0]

    for row in figures.on_time_by_month(city, YEAR):
        first = dt.date(YEAR, row["month"], 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        totals = service_figures.totals(first, last, city)
        assert (row["replied"], row["on_time"]) == (
            totals.requests_handled,
            totals.answered_on_time,
        )


def test_the_leaderboard_matches_the_stewards_figures(world, city, heishan):
    for region in (city, heishan):
        board = figures.leaderboard(region, YEAR)
        rows = service_figures.steward_figures(
            None, region=region, start=dt.date(YEAR, 1, 1), end=dt.date(YEAR, 12, 31)
        )
        expected = {r.steward.pk: r for r in rows if r.services}
        assert {b["steward_id"] for b in board} == set(expected)
        for b in board:
            row = expected[b["steward_id"]]
            assert b["services"] == row.services
            assert b["requests_handled"] == row.requests_handled
            assert b["on_time_rate"] == row.on_time_rate
            assert b["satisfaction_rate"] == row.satisfaction_rate
        assert [b["services"] for b in board] == sorted(
            (b["services"] for b in board), reverse=True
        )
    assert len(figures.leaderboard(city, YEAR, limit=1)) == 1


def test_the_links_open_the_records_behind_each_figure(world, client, users, city):
    client.force_login(users["leader"])
    data = client.get(DATA, {"year": YEAR}).json()

    def ledger_count(url):
        params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        assert urlparse(url).path == reverse("projects:project_list")
        return LedgerFilter.from_params(params).apply(Project.objects.all()).count()

    k = figures.kpis(city, YEAR)
    links = data["links"]
    signed = ledger_count(links["signed_count"])
    assert signed == _projects(city).filter(signed_on__year=YEAR).count()
    assert ledger_count(links["landing_rate"]) / signed == k["landing_rate"]
    assert ledger_count(links["start_rate"]) / signed == k["start_rate"]
    assert ledger_count(links["operation_rate"]) / signed == k["operation_rate"]
    for row in data["funnel"]:
        assert ledger_count(row["url"]) == row["projects"]
    for row in data["monthly"]:
        assert ledger_count(row["urls"]["started"]) == row["started"]
        assert ledger_count(row["urls"]["operating"]) == row["operating"]
    assert "queue=late" in links["overdue_now"]
    # The ledger page itself takes the new filters.
    response = client.get(links["landing_rate"])
    assert response.status_code == 200
    assert response.context["summary"].count == ledger_count(links["landing_rate"])


def test_the_ledger_period_filter_reads_years_and_months(world):
    base = Project.objects.all()
    march = LedgerFilter.from_params({"period": f"{YEAR}-03"}).apply(base)
    assert march.count() == base.filter(signed_on__year=YEAR, signed_on__month=3).count()
    started = LedgerFilter.from_params({"period": f"{YEAR}-06", "dated": "construction"}).apply(
        base
    )
    assert started.count() == 1
    assert LedgerFilter.from_params({"period": "20x5"}).apply(base).count() == 0
    assert LedgerFilter.from_params({"reached": "nonsense"}).apply(base).count() == base.count()


def test_the_queue_filters_by_area(world, client, users, heishan):
    client.force_login(users["admin"])
    response = client.get(reverse("requests:queue"), {"queue": "all", "region": heishan.pk})
    assert response.status_code == 200
    numbers = {sr.number for sr, _clock in response.context["rows"]}
    assert numbers == set(
        ServiceRequest.objects.filter(region=heishan).values_list("number", flat=True)
    )


# --- Refresh --------------------------------------------------------------------------------


def test_refresh_replaces_the_rollups_and_records_when(world, linghai):
    before = figures.last_refreshed()
    rows = ProjectRollup.objects.count()
    _project(linghai, None, Stage.SIGNED, dt.date(YEAR, 5, 5), "1")
    assert figures.kpis(linghai, YEAR)["signed_count"] == 2  # not yet refreshed
    when = cockpit_services.refresh()
    assert when >= before and figures.last_refreshed() == when
    assert figures.kpis(linghai, YEAR)["signed_count"] == 3
    assert ProjectRollup.objects.count() == rows + 1
    cockpit_services.refresh()
    assert ProjectRollup.objects.count() == rows + 1  # recomputed, not added to
    assert RefreshState.objects.count() == 1


def test_the_refresh_is_a_periodic_task_every_30_seconds():
    from guanjia.cockpit import tasks

    job = REGISTRY[tasks.refresh_cockpit.module_path]
    assert job.every == dt.timedelta(seconds=30)


def test_the_rollups_are_small(world):
    assert ProjectRollup.objects.count() < Project.objects.count() + 1
    assert FlowRollup.objects.exclude(milestone="signed").aggregate(n=Sum("projects"))["n"] == (
        Project.objects.filter(registered_on__isnull=False).count()
        + Project.objects.filter(construction_on__isnull=False).count()
        + Project.objects.filter(operation_on__isnull=False).count()
    )


def test_an_empty_installation_shows_zeros(db):
    cockpit_services.refresh()
    k = figures.kpis(None, YEAR)
    assert k["signed_count"] == 0 and k["landing_rate"] is None and k["funds_rate"] is None
    assert figures.by_area(None, YEAR) == []


# --- Access ---------------------------------------------------------------------------------


ROLE_TABLE = [
    ("admin", 200, 200),
    ("leader", 200, 200),
    ("official", 200, 200),
    ("steward", 403, 403),
    ("handler", 403, 403),
    ("enterprise", 403, 403),
    ("anonymous", 302, 302),
]


@pytest.mark.parametrize(("role", "page", "data"), ROLE_TABLE)
def test_role_table(world, client, users, role, page, data):
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(PAGE).status_code == page
    response = client.get(DATA)
    assert response.status_code == data
    if data == 403:
        assert response.json() == {"detail": "forbidden"}


def test_an_area_official_sees_only_their_area(world, client, users, linghai, heishan, city):
    client.force_login(users["official"])
    for asked in ("", heishan.pk, city.pk, 999999, "x"):
        data = client.get(DATA, {"region": asked, "year": YEAR}).json()
        assert data["region"]["id"] == linghai.pk
        assert data["kpis"]["signed_count"] == figures.kpis(linghai, YEAR)["signed_count"]
        assert data["parent"] is None  # the city is above them
        assert [a["region_id"] for a in data["by_area"]] == [linghai.pk]
    page = client.get(PAGE, {"region": heishan.pk, "year": YEAR})
    assert page.context["data"]["region"]["id"] == linghai.pk
    assert "黑山县" not in page.content.decode()


def test_a_city_leader_drills_down_and_back_up(world, client, users, heishan, city):
    client.force_login(users["leader"])
    data = client.get(DATA, {"region": heishan.pk, "year": YEAR}).json()
    assert data["region"]["id"] == heishan.pk
    assert data["parent"]["id"] == city.pk
    expected = figures.kpis(heishan, YEAR)["signed_investment"]
    assert Decimal(data["kpis"]["signed_investment"]) == expected
    page = client.get(PAGE, {"region": heishan.pk, "year": YEAR})
    assert page.status_code == 200
    assert f"?region={city.pk}&amp;year={YEAR}" in page.content.decode()


def test_the_data_endpoint_carries_every_figure_with_amounts_as_strings(world, client, users):
    client.force_login(users["admin"])
    data = client.get(DATA, {"year": YEAR}).json()
    assert set(data) >= {
        "kpis", "by_industry", "by_area", "funnel", "monthly", "on_time_by_month",
        "leaderboard", "refreshed_at", "links",
    }  # fmt: skip
    assert isinstance(data["kpis"]["signed_investment"], str)
    assert all(isinstance(r["amount_wan"], str) for r in data["by_area"])
    assert data["year"] == YEAR
    assert len(data["by_area"]) == 9


def test_leaders_land_on_the_cockpit_and_see_it_in_the_menu(world, client, users):
    client.force_login(users["leader"])
    assert client.get("/").url == PAGE
    assert f'href="{PAGE}"' in client.get(reverse("projects:project_list")).content.decode()
    client.force_login(users["steward"])
    assert client.get("/").url != PAGE
    assert f'href="{PAGE}"' not in client.get(reverse("projects:project_list")).content.decode()


def test_the_page_refreshes_the_rollups_on_a_fresh_installation(users, client, city):
    assert figures.last_refreshed() is None
    client.force_login(users["leader"])
    assert client.get(PAGE).status_code == 200
    assert figures.last_refreshed() is not None


# --- The map --------------------------------------------------------------------------------


def test_the_vendored_map_has_the_seven_units_and_markers_for_the_two_zones(regions):
    import json

    from django.conf import settings
    from django.contrib.staticfiles import finders

    geo = json.loads(Path(finders.find(settings.GUANJIA_MAP_GEOJSON)).read_text("utf-8"))
    codes = {str(f["id"]) for f in geo["features"]}
    names = {f["properties"]["name"] for f in geo["features"]}
    statutory = [r for r in regions.values() if r.parent_id and r.gb_code and not r.abolished_on]
    assert codes == {r.gb_code for r in statutory if r.parent.code == "210700"}
    assert names == {r.name for r in statutory if r.parent.code == "210700"}
    markers = json.loads(Path(finders.find(settings.GUANJIA_MAP_MARKERS)).read_text("utf-8"))
    assert set(markers["markers"]) == {"210700Z1", "210700Z2"}
    for lng, lat in markers["markers"].values():
        assert 120.7 < lng < 122.6 and 40.79 < lat < 42.13  # inside the city's extent


def test_another_city_sets_its_own_map(client, users, settings):
    settings.GUANJIA_MAP_GEOJSON = "geo/another-city.geojson"
    settings.GUANJIA_MAP_MARKERS = ""
    client.force_login(users["leader"])
    page = client.get(PAGE).content.decode()
    assert 'data-geojson="/static/geo/another-city.geojson"' in page
    assert 'data-markers=""' in page
