"""The assessment (招商考核): targets for teams, areas and people, actuals computed from the leads
and the signings, the ranking with the change since the period before, its Excel export, who
reads it, and its section in the monthly report."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from guanjia.core.models import AuditEntry
from guanjia.leads import services as lead_services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.reports import content
from guanjia.targets import services
from guanjia.targets.computations import subject_values
from guanjia.targets.models import Computation, Indicator, Source, Target, Unit
from guanjia.targets.periods import Period
from guanjia.targets.progress import Book
from guanjia.targets.ranking import previous, ranking
from guanjia.testing.factories import DepartmentFactory, LeadFactory

Q1, Q2 = Period(2025, quarter=1), Period(2025, quarter=2)


@pytest.fixture
def indicators(db):
    def make(code: str, computation: str, unit: str = Unit.COUNT) -> Indicator:
        return Indicator.objects.create(
            code=code, name=code, unit=unit, source=Source.COMPUTED, computation=computation
        )

    return {
        "leads": make("new_leads", Computation.NEW_LEADS),
        "signed": make("signed_projects", Computation.SIGNED_PROJECTS),
        "landed": make("projects_landed", Computation.PROJECTS_LANDED),
        "funds": make("funds_in_place", Computation.FUNDS_IN_PLACE, Unit.WAN),
    }


@pytest.fixture
def teams(city):
    return {
        "beijing": DepartmentFactory(name="驻京招商小分队", region=city),
        "shanghai": DepartmentFactory(name="驻沪招商小分队", region=city),
        "shenzhen": DepartmentFactory(name="驻深招商小分队", region=city),
    }


def _lead(team, owner, region, on: dt.date, **kw):  # type: ignore[no-untyped-def]
    return LeadFactory(department=team, owner=owner, region=region, lead_on=on, **kw)


def _signed(team, owner, region, on: dt.date, admin):  # type: ignore[no-untyped-def]
    lead = _lead(team, owner, region, on - dt.timedelta(days=20))
    lead_services.take_step(lead, "negotiate", admin, on=on - dt.timedelta(days=10))
    return lead_services.sign(lead, admin, on=on)


# --- computations from the records ----------------------------------------------------------------


def test_a_signed_lead_counts_for_its_team_owner_and_area_in_the_period_of_signing(
    indicators, teams, users, city, linghai
):
    steward, team = users["steward"], teams["beijing"]
    lead = _signed(team, steward, linghai, dt.date(2025, 5, 10), users["admin"])
    Project.objects.filter(pk=lead.project_id).update(
        stage=Stage.REGISTERED, funds_in_place_wan=Decimal(3000)
    )
    for kind, key in (("team", team.pk), ("person", steward.pk), ("area", linghai.pk)):
        assert subject_values(indicators["signed"], Q2, kind)[key] == 1, kind
        assert subject_values(indicators["landed"], Q2, kind)[key] == 1, kind
        assert subject_values(indicators["funds"], Q2, kind)[key] == Decimal(3000), kind
        assert subject_values(indicators["signed"], Q1, kind).get(key, 0) == 0, kind
    assert subject_values(indicators["signed"], Q2, "area")[city.pk] == 1  # the city's total
    assert subject_values(indicators["signed"], Period(2025, month=5), "team") == {team.pk: 1}
    assert subject_values(indicators["signed"], Period(2025, month=6), "team") == {}
    # The lead was entered in April: a new lead of Q2 for the team, not of Q1.
    assert subject_values(indicators["leads"], Q2, "team") == {team.pk: 1}
    assert subject_values(indicators["leads"], Q1, "team") == {}


def test_a_withdrawn_project_counts_as_signed_but_not_landed_nor_its_funds(
    indicators, teams, users, linghai
):
    lead = _signed(
        teams["beijing"], users["steward"], linghai, dt.date(2025, 5, 10), users["admin"]
    )
    Project.objects.filter(pk=lead.project_id).update(
        stage=Stage.WITHDRAWN, funds_in_place_wan=Decimal(3000)
    )
    team = teams["beijing"].pk
    assert subject_values(indicators["signed"], Q2, "team") == {team: 1}
    assert subject_values(indicators["landed"], Q2, "team") == {team: 0}
    assert subject_values(indicators["funds"], Q2, "team") == {team: 0}


# --- targets for teams and people ---------------------------------------------------------------


def test_team_and_person_targets_are_audited_kept_apart_and_set_by_city_admins_only(
    indicators, teams, users, city, linghai
):
    admin, leads = users["admin"], indicators["leads"]
    area = services.set_target(admin, leads, Q2, linghai, Decimal(4))
    team = services.set_target(admin, leads, Q2, None, Decimal(5), team=teams["beijing"])
    person = services.set_target(admin, leads, Q2, None, Decimal(2), person=users["steward"])
    assert (team.region, person.region) == (city, city)  # kept under their own region
    again = services.set_target(admin, leads, Q2, None, Decimal(6), team=teams["beijing"])
    assert again.pk == team.pk and Target.objects.count() == 3
    assert AuditEntry.objects.filter(object_type="targets.target").count() == 4
    # The board's area figures know nothing of the team's and the person's targets.
    assert Book(leads, 2025).target(linghai, Q2) == Decimal(4)
    assert area.subject == linghai and team.subject_kind == "team"
    with pytest.raises(PermissionDenied):
        services.set_target(users["official"], leads, Q2, None, Decimal(1), team=teams["beijing"])


def test_the_form_sets_a_teams_target(client, indicators, teams, users):
    client.force_login(users["admin"])
    response = client.post(
        reverse("targets:set_target"),
        {"indicator": indicators["leads"].pk, "period": "2025Q2", "team": teams["shanghai"].pk,
         "value": "8"},
    )  # fmt: skip
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.team, target.value, target.quarter) == (teams["shanghai"], Decimal(8), 2)
    both = client.post(
        reverse("targets:set_target"),
        {"indicator": indicators["leads"].pk, "period": "2025Q2", "team": teams["shanghai"].pk,
         "person": users["steward"].pk, "value": "8"},
    )  # fmt: skip
    assert both.status_code == 400
    assert "请在地区、招商小分队和个人中选择一项。" in both.content.decode()  # zh-Hans first


# --- the ranking --------------------------------------------------------------------------------


@pytest.fixture
def quarters(indicators, teams, users, linghai):
    """New leads of three teams in Q1 and Q2 of 2025, with targets: Q1 ranks 北京 > 上海;
    Q2 ranks 上海 > 北京, and 深圳 is new."""
    admin, owner, leads = users["admin"], users["steward"], indicators["leads"]
    bj, sh, sz = teams["beijing"], teams["shanghai"], teams["shenzhen"]
    for team, q1, q2 in ((bj, 4, 2), (sh, 2, 6), (sz, 0, 3)):
        for _ in range(q1):
            _lead(team, owner, linghai, dt.date(2025, 2, 3))
        for _ in range(q2):
            _lead(team, owner, linghai, dt.date(2025, 5, 3))
    for team, t1, t2 in ((bj, 4, 4), (sh, 4, 4)):
        services.set_target(admin, leads, Q1, None, Decimal(t1), team=team)
        services.set_target(admin, leads, Q2, None, Decimal(t2), team=team)
    services.set_target(admin, leads, Q2, None, Decimal(2), team=sz)
    return leads


def test_ranking_order_and_the_change_since_the_quarter_before(quarters, city):
    q1 = ranking(quarters, Q1, "team", city)
    assert [(r.rank, r.name, r.completion, r.change) for r in q1] == [
        (1, "驻京招商小分队", "100.0%", ""),  # no ranking before Q1: no change shown
        (2, "驻沪招商小分队", "50.0%", ""),
    ]
    q2 = ranking(quarters, Q2, "team", city)
    assert [(r.rank, r.name, r.target, r.actual, r.completion, r.change) for r in q2] == [
        (1, "驻沪招商小分队", Decimal(4), Decimal(6), "150.0%", "↑1"),
        (2, "驻深招商小分队", Decimal(2), Decimal(3), "150.0%", "新上榜"),
        (3, "驻京招商小分队", Decimal(4), Decimal(2), "50.0%", "↓2"),
    ]


def test_equal_completion_and_actual_share_a_rank(indicators, teams, users, city, linghai):
    leads = indicators["leads"]
    for team in (teams["beijing"], teams["shanghai"]):
        _lead(team, users["steward"], linghai, dt.date(2025, 5, 3))
        services.set_target(users["admin"], leads, Q2, None, Decimal(2), team=team)
    services.set_target(users["admin"], leads, Q2, None, Decimal(2), team=teams["shenzhen"])
    assert [r.rank for r in ranking(leads, Q2, "team", city)] == [1, 1, 3]


def test_previous_periods():
    assert previous(Period(2025, quarter=1)) == Period(2024, quarter=4)
    assert previous(Period(2025, month=1)) == Period(2024, month=12)
    assert previous(Period(2025, month=7)) == Period(2025, month=6)
    assert previous(Period(2025)) == Period(2024)


def test_the_page_shows_the_ranking_with_its_changes_and_chart(client, quarters, users):
    client.force_login(users["official"])  # a published 通报: an area official reads it all
    page = client.get(reverse("targets:ranking"), {"period": "2025Q2", "kind": "team"})
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        html.index("驻沪招商小分队") < html.index("驻深招商小分队") < html.index("驻京招商小分队")
    )
    assert "↑1" in html and "↓2" in html and 'id="ranking-chart"' in html
    assert page.context["chart"]["completion"] == [150.0, 150.0, 50.0]
    assert reverse("targets:ranking") in client.get(reverse("leads:list")).content.decode()


def test_the_excel_export_holds_the_ranking(client, quarters, users):
    client.force_login(users["leader"])
    response = client.get(
        reverse("targets:ranking_export"),
        {"period": "2025Q2", "indicator": "new_leads", "kind": "team"},
    )
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_name("排名通报").to_python()
    assert rows[0] == ["排名", "名称", "目标", "实际", "完成率(%)", "名次变化"]
    assert rows[1:] == [
        [1.0, "驻沪招商小分队", 4.0, 6.0, 150.0, "↑1"],
        [2.0, "驻深招商小分队", 2.0, 3.0, 150.0, "新上榜"],
        [3.0, "驻京招商小分队", 4.0, 2.0, 50.0, "↓2"],
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("leader", 200),
        ("steward", 200),
        ("official", 200),
        ("handler", 404),
        ("enterprise", 404),
    ],
)
def test_who_reads_the_ranking(client, quarters, users, role, status):
    client.force_login(users[role])
    for name in ("targets:ranking", "targets:ranking_export"):
        assert client.get(reverse(name), {"period": "2025Q2"}).status_code == status, name


@translation.override("en")
def test_the_monthly_report_carries_the_ranking(quarters, city):
    now = dt.datetime(2025, 7, 2, 9, tzinfo=dt.UTC)
    body = content.build("monthly", dt.date(2025, 6, 1), dt.date(2025, 6, 30), None, now=now)
    (table,) = [t for t in body.tables if t.title == "Assessment ranking"]
    assert [row[4] for row in table.rows] == ["驻沪招商小分队", "驻深招商小分队", "驻京招商小分队"]
    assert table.rows[0][1] == "Q2 2025" and table.rows[0][-1] == "↑1"
    weekly = content.build("weekly", dt.date(2025, 6, 23), dt.date(2025, 6, 29), None, now=now)
    assert all(t.title != "Assessment ranking" for t in weekly.tables)


def test_the_hourly_recompute_stores_the_lead_indicators_by_area(indicators, teams, users, linghai):
    """The board's computed actuals (per area and month) come from the same computation."""
    from guanjia.targets.computations import compute
    from guanjia.targets.models import Actual

    _lead(teams["beijing"], users["steward"], linghai, dt.date(2025, 5, 3))
    _signed(teams["beijing"], users["steward"], linghai, dt.date(2025, 6, 9), users["admin"])
    today = dt.date(2025, 12, 31)
    compute(indicators["leads"], 2025, today)
    compute(indicators["signed"], 2025, today)
    leads = Actual.objects.filter(indicator=indicators["leads"], region=linghai, value__gt=0)
    assert sorted(leads.values_list("month", "value")) == [(5, 2)]  # the signed one's lead too
    signed = Actual.objects.get(indicator=indicators["signed"], region=linghai, month=6)
    assert signed.value == 1
