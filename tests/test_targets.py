"""Targets: computed actuals match the ledger, progress and lagging, who may do what, the
Excel import (all or nothing, errors by row and column) and the export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Sum
from django.urls import reverse
from python_calamine import CalamineWorkbook

from guanjia.core.models import AuditEntry, ImportStatus
from guanjia.events import services as event_services
from guanjia.projects.models import Level, Project
from guanjia.targets import computations, services
from guanjia.targets.importers import ActualImporter
from guanjia.targets.models import Actual, Computation, Indicator, Source, Target, Unit
from guanjia.targets.periods import Period, PeriodError
from guanjia.targets.progress import Book, lagging_areas, progress, summary
from guanjia.testing import imports
from guanjia.testing.factories import ProjectFactory, RegionFactory

TODAY = dt.date(2026, 11, 28)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def indicators(db):
    return {
        "gdp": Indicator.objects.create(
            code="gdp", name="地区生产总值", unit=Unit.YI, source=Source.ENTERED, sort_order=1
        ),
        "landed": Indicator.objects.create(
            code="landed",
            name="重点项目落地",
            unit=Unit.COUNT,
            source=Source.COMPUTED,
            computation=Computation.KEY_PROJECTS_LANDED,
            sort_order=2,
        ),
        "signed": Indicator.objects.create(
            code="signed",
            name="签约投资额",
            unit=Unit.YI,
            source=Source.COMPUTED,
            computation=Computation.SIGNED_INVESTMENT,
            sort_order=3,
        ),
    }


def yi(value: str) -> Decimal:
    return Decimal(value) * 10_000


# --- periods and values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026", Period(2026)),
        (2026.0, Period(2026)),
        ("2026Q3", Period(2026, quarter=3)),
        ("2026-q1", Period(2026, quarter=1)),
        ("2026年第二季度", Period(2026, quarter=2)),
        ("2026-09", Period(2026, month=9)),
        ("2026年9月", Period(2026, month=9)),
    ],
)
def test_periods_parse_as_people_write_them(text, period):
    assert Period.parse(text) == period


def test_period_bounds_and_elapsed():
    q3 = Period(2026, quarter=3)
    assert (q3.start, q3.end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert Period(2026, month=2).end == dt.date(2026, 2, 28)
    assert Period(2026).elapsed(dt.date(2026, 12, 31)) == 1.0
    assert Period(2026).elapsed(dt.date(2025, 12, 31)) == 0.0
    assert Period(2026).contains(q3) and not q3.contains(Period(2026))
    for bad in ("2026Q5", "26", "", "2026-13", "明年"):
        with pytest.raises(PeriodError):
            Period.parse(bad)


def test_values_parse_in_the_indicators_unit(indicators):
    gdp, landed = indicators["gdp"], indicators["landed"]
    assert services.parse_value(gdp, "612亿元") == yi("612")
    assert services.parse_value(gdp, "1600") == yi("1600")  # bare numbers are in 亿元
    assert services.parse_value(gdp, "3500万元") == Decimal("3500")
    assert services.parse_value(landed, "1,000") == 1000
    assert services.parse_value(landed, "一百二十九个") == 129
    for bad in ("abc", "", "12..5亿元", "-5"):
        with pytest.raises(ValidationError):
            services.parse_value(gdp, bad)


# --- computed actuals ------------------------------------------------------------------------


@pytest.fixture
def ledger(regions, linghai, heishan):
    """Projects of every level registered in 2025 and 2026, one in a town under 凌海市."""
    town = RegionFactory(code="210781101", name="石山镇", kind="district", parent=linghai)
    places = [linghai, heishan, regions["210700Z1"], town, regions["210700"]]
    levels = [Level.PROVINCIAL, Level.MUNICIPAL, Level.GENERAL]
    projects = []
    for n in range(30):
        projects.append(
            ProjectFactory(
                region=places[n % len(places)],
                level=levels[n % 3],
                stage="registered",
                registered_on=dt.date(2025 + n % 2, 1 + n % 12, 1 + n % 27),
            )
        )
    ProjectFactory(region=linghai, level=Level.PROVINCIAL, stage="signed")  # not registered
    return projects


def _actual_sum(indicator, year, region) -> Decimal:
    return Actual.objects.filter(indicator=indicator, year=year, region=region).aggregate(
        s=Sum("value")
    )["s"] or Decimal(0)


def test_key_projects_landed_equal_a_direct_count(indicators, ledger, regions):
    landed = indicators["landed"]
    computations.compute(landed, 2026, TODAY)
    city = regions["210700"]
    for region in [city, *city.children.filter(abolished_on__isnull=True)]:
        direct = Project.objects.filter(
            level__in=[Level.PROVINCIAL, Level.MUNICIPAL],
            registered_on__year=2026,
            region__path__startswith=region.path,
        ).count()
        assert _actual_sum(landed, 2026, region) == direct, region.name
    # Months up to November have rows (zeros included), December has not begun.
    assert not Actual.objects.filter(indicator=landed, year=2026, month=12).exists()
    assert Actual.objects.filter(indicator=landed, year=2026, month=11).count() == 10
    # Per month too: the GROUP BY agrees with counting project by project.
    by_month = dict(
        Project.objects.filter(
            level__in=[Level.PROVINCIAL, Level.MUNICIPAL], registered_on__year=2026
        )
        .values_list("registered_on__month")
        .annotate(n=Count("pk"))
    )
    for month in range(1, 12):
        row = Actual.objects.get(indicator=landed, year=2026, month=month, region=city)
        assert row.value == by_month.get(month, 0)
        assert row.computed_at is not None and row.entered_by is None
    # The city's progress is its own computed total; 凌海市 includes its town's projects.
    assert progress(landed, 2026, city, TODAY)["actual"] == sum(by_month.values())


def test_recomputing_changes_only_what_the_ledger_changed(indicators, ledger, linghai):
    landed = indicators["landed"]
    assert computations.compute(landed, 2026, TODAY) > 0
    assert computations.compute(landed, 2026, TODAY) == 0
    ProjectFactory(
        region=linghai, level=Level.MUNICIPAL, stage="registered",
        registered_on=dt.date(2026, 3, 5),
    )  # fmt: skip
    assert computations.compute(landed, 2026, TODAY) == 2  # 凌海市 and the city, March
    assert computations.compute_all([2026], TODAY) == 110  # the signed investment's first run
    assert computations.compute_all([2026], TODAY) == 0


def test_signed_investment_counts_first_signings_and_increases(indicators, regions, linghai):
    signed = indicators["signed"]
    project = ProjectFactory(region=linghai)
    event_services.record_signing(
        None, project=project, government=linghai, signed_on=dt.date(2026, 3, 1),
        amount_wan=Decimal(50_000),
    )  # fmt: skip
    event_services.record_signing(
        None, project=project, government=linghai, signed_on=dt.date(2026, 8, 1),
        amount_wan=Decimal(80_000),
    )  # fmt: skip
    other = ProjectFactory(region=regions["210726"])
    event_services.record_signing(
        None, project=other, government=regions["210726"], signed_on=dt.date(2025, 6, 1),
        amount_wan=Decimal(20_000),
    )  # fmt: skip
    computations.compute_all([2025, 2026], TODAY)
    assert _actual_sum(signed, 2026, linghai) == Decimal(80_000)  # 5亿 first + 3亿 increase
    assert progress(signed, 2026, regions["210700"], TODAY)["actual"] == Decimal(8)  # 亿元
    assert progress(signed, 2025, regions["210700"], TODAY)["actual"] == Decimal(2)


def test_the_periodic_task_is_registered(indicators, ledger):
    from guanjia.core.scheduling import REGISTRY
    from guanjia.targets import tasks

    assert "guanjia.targets.tasks.compute_actuals" in REGISTRY
    assert tasks.compute_actuals.call() >= 0


# --- progress and lagging --------------------------------------------------------------------


@pytest.fixture
def gdp_2026(indicators, users, regions, linghai, heishan):
    """City target 100亿, 凌海 60亿 and 黑山 40亿; Q1-Q3 entered: 凌海 on pace, 黑山 behind."""
    gdp, admin = indicators["gdp"], users["admin"]
    city = regions["210700"]
    services.set_target(admin, gdp, Period(2026), city, yi("100"))
    services.set_target(admin, gdp, Period(2026), linghai, yi("60"))
    services.set_target(admin, gdp, Period(2026), heishan, yi("40"))
    for q, (a, b) in enumerate([("15", "9"), ("15", "9"), ("15", "9")], start=1):
        services.enter_actual(admin, gdp, Period(2026, quarter=q), linghai, yi(a))
        services.enter_actual(admin, gdp, Period(2026, quarter=q), heishan, yi(b))
    return gdp


def test_progress_sums_areas_and_expects_up_to_the_last_quarter_reported(gdp_2026, regions):
    city = regions["210700"]
    row = progress(gdp_2026, 2026, city, TODAY)
    assert row["target"] == Decimal(100)  # the city's own target
    assert row["actual"] == Decimal(72)  # 45 + 27, summed over the areas
    assert row["ratio"] == 0.72
    assert row["as_of"] == dt.date(2026, 9, 30)
    assert row["expected"] == round(273 / 365, 4)
    assert row["lagging"] is False  # 0.72 is within five points of 0.748
    linghai_row = progress(gdp_2026, 2026, regions["210781"], TODAY)
    assert (linghai_row["ratio"], linghai_row["lagging"]) == (0.75, False)
    heishan_row = progress(gdp_2026, 2026, regions["210726"], TODAY)
    assert (heishan_row["ratio"], heishan_row["status"]) == (0.675, "lagging")
    assert [r["region"].name for r in lagging_areas(gdp_2026, 2026, city, TODAY)] == ["黑山县"]
    # Without a city target, the areas' targets add up.
    Target.objects.filter(region=city).delete()
    assert progress(gdp_2026, 2026, city, TODAY)["target"] == Decimal(100)
    # An area without a target has no ratio and never lags.
    assert progress(gdp_2026, 2026, regions["210727"], TODAY)["status"] == "no_target"


def test_a_quarter_sums_its_months_and_a_year_row_wins(gdp_2026, users, linghai):
    admin = users["admin"]
    for month, value in [(10, "5"), (11, "6")]:
        services.enter_actual(admin, gdp_2026, Period(2026, month=month), linghai, yi(value))
    book = Book(gdp_2026, 2026)
    assert book.actual(linghai, Period(2026, quarter=4)) == yi("11")
    assert book.actual(linghai, Period(2026)) == yi("56")
    services.enter_actual(admin, gdp_2026, Period(2026), linghai, yi("58"))
    assert Book(gdp_2026, 2026).actual(linghai, Period(2026)) == yi("58")


def test_summary_has_one_row_per_indicator_with_areas(gdp_2026, regions):
    rows = summary(None, 2026, TODAY)
    assert [r["code"] for r in rows] == ["gdp", "landed", "signed"]
    gdp = rows[0]
    assert gdp["region"] == regions["210700"]
    assert len(gdp["areas"]) == 9  # the 9 areas, not the abolished 锦县
    assert gdp["lagging_areas"] == ["黑山县"]
    assert {"target", "actual", "ratio", "expected", "lagging", "unit", "name"} <= set(gdp)
    area_rows = summary(regions["210781"], 2026, TODAY)
    assert area_rows[0]["actual"] == Decimal(45) and area_rows[0]["areas"] == []


def test_targets_and_actuals_are_audited(indicators, users, linghai):
    gdp, admin = indicators["gdp"], users["admin"]
    target = services.set_target(admin, gdp, Period(2026), linghai, yi("60"))
    services.set_target(admin, gdp, Period(2026), linghai, yi("65"))
    actual = services.enter_actual(
        users["official"], gdp, Period(2026, quarter=1), linghai, yi("9")
    )
    entries = AuditEntry.objects.filter(object_type="targets.target", object_id=str(target.pk))
    assert [e.action for e in entries.order_by("pk")] == ["create", "update"]
    assert entries.order_by("pk").last().after["value"] == str(yi("65"))
    entry = AuditEntry.objects.get(object_type="targets.actual", object_id=str(actual.pk))
    assert entry.actor == users["official"]
    assert actual.entered_by == users["official"] and actual.entered_at is not None


def test_service_rules(indicators, users, linghai, heishan):
    gdp, landed = indicators["gdp"], indicators["landed"]
    with pytest.raises(PermissionDenied):
        services.set_target(users["official"], gdp, Period(2026), linghai, yi("1"))
    with pytest.raises(PermissionDenied):
        services.enter_actual(users["official"], gdp, Period(2026), heishan, yi("1"))
    with pytest.raises(PermissionDenied):
        services.enter_actual(users["leader"], gdp, Period(2026), linghai, yi("1"))
    with pytest.raises(ValidationError):
        services.enter_actual(users["admin"], landed, Period(2026), linghai, Decimal(3))


# --- pages and roles ---------------------------------------------------------------------------

ROLES = ["admin", "official", "leader", "steward", "handler", "enterprise"]
# role → (view board, enter actual, set target, export, import)
ROLE_TABLE = {
    "admin": (200, 302, 302, 200, 200),
    "official": (200, 302, 403, 200, 200),
    "leader": (200, 403, 403, 200, 403),
    "steward": (403, 403, 403, 403, 403),
    "handler": (403, 403, 403, 403, 403),
    "enterprise": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_role_table(client, indicators, users, linghai, role):
    view, enter, set_, export, import_ = ROLE_TABLE[role]
    client.force_login(users[role])
    assert client.get(reverse("targets:board"), {"year": 2026}).status_code == view
    form = {
        "indicator": indicators["gdp"].pk, "period": "2026Q1", "region": linghai.pk,
        "value": "12.5亿元", "note": "统计局",
    }  # fmt: skip
    assert client.post(reverse("targets:enter_actual"), form).status_code == enter
    assert client.post(reverse("targets:set_target"), {**form, "period": "2026"}).status_code == (
        set_
    )
    assert client.get(reverse("targets:export"), {"year": 2026}).status_code == export
    assert client.get(reverse("targets:import")).status_code == import_
    assert client.post(reverse("targets:recompute")).status_code == (302 if set_ == 302 else 403)
    expected_actuals = 1 if enter == 302 else 0
    assert Actual.objects.filter(indicator=indicators["gdp"]).count() == expected_actuals
    if enter == 302:
        assert Actual.objects.get(indicator=indicators["gdp"]).value == Decimal(125_000)


# Whose gauge the board leads with (targets.access.board_focus), by who opens it.
# who → (the focus given the city, the focus of the page they open)
FOCUS = [
    ("admin", "210700", "210700"),  # the city
    ("leader", "210700", "210700"),
    ("official", "210781", "210781"),  # an area official: their area, 凌海市
    ("town official", "210781", "210781"),  # in a town of 凌海市: the area the town lies in
    # Nothing to narrow to: the city given; but they reach no city, so their board is empty.
    ("official without a region", "210700", None),
]


@pytest.mark.parametrize(("who", "code", "shown"), FOCUS)
def test_the_board_leads_with_the_city_or_an_officials_own_area(
    client, indicators, regions, users, linghai, who, code, shown
):
    from guanjia.accounts.models import Role
    from guanjia.targets.access import board_focus
    from guanjia.testing.factories import UserFactory

    if who == "town official":
        town = RegionFactory(code="210781101", name="石山镇", kind="district", parent=linghai)
        user = UserFactory(username="t_town", role=Role.AREA_OFFICIAL, region=town)
    elif who == "official without a region":
        user = UserFactory(username="t_nowhere", role=Role.AREA_OFFICIAL, region=None)
    else:
        user = users[who]
    city = regions["210700"]
    assert board_focus(user, city) == regions[code]
    client.force_login(user)
    response = client.get(reverse("targets:board"), {"year": 2026})
    assert response.status_code == 200
    assert response.context["focus"] == (regions[shown] if shown else None)


def test_nav_link_for_the_roles_that_see_targets(client, users):
    for role in ROLES:
        client.force_login(users[role])
        html = client.get(reverse("projects:project_list")).content.decode()
        assert (reverse("targets:board") in html) == (ROLE_TABLE[role][0] == 200), role


def test_the_form_rejects_a_bad_value_with_a_clear_error(client, indicators, users, linghai):
    client.force_login(users["admin"])
    form = {"indicator": indicators["gdp"].pk, "period": "2026Q1", "region": linghai.pk}
    response = client.post(reverse("targets:enter_actual"), {**form, "value": "十二点五亿美元"})
    assert response.status_code == 400
    assert "value" in response.context["form"].errors
    response = client.post(reverse("targets:enter_actual"), {**form, "value": "abc"})
    assert "“abc”" in response.content.decode()
    response = client.post(
        reverse("targets:enter_actual"), {**form, "period": "2026Q7", "value": "1"}
    )
    assert "period" in response.context["form"].errors
    assert not Actual.objects.exists()


def test_an_official_enters_for_their_area_only_and_sees_only_it(
    client, gdp_2026, users, heishan, linghai
):
    client.force_login(users["official"])
    form = {"indicator": gdp_2026.pk, "period": "2026Q4", "region": heishan.pk, "value": "9"}
    response = client.post(reverse("targets:enter_actual"), form)
    assert response.status_code == 400 and "region" in response.context["form"].errors
    html = client.get(reverse("targets:board"), {"year": 2026}).content.decode()
    assert "凌海市" in html and "黑山县" not in html and "锦州市" not in html
    response = client.get(reverse("targets:export"), {"year": 2026})
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    regions_in_export = {row[2] for row in book.get_sheet_by_index(0).to_python()[1:]}
    assert regions_in_export == {"凌海市"}
    actual_regions = {row[1] for row in book.get_sheet_by_name("实际值").to_python()[1:]}
    assert actual_regions == {"凌海市"}
    client.force_login(users["admin"])
    html = client.get(reverse("targets:board"), {"year": 2026}).content.decode()
    assert "黑山县" in html and 'id="gauge-gdp"' in html and 'id="bars-gdp"' in html


def test_computed_indicators_cannot_be_entered(client, indicators, users, linghai):
    client.force_login(users["admin"])
    response = client.get(reverse("targets:enter_actual"))
    choices = [c[1] for c in response.context["form"].fields["indicator"].choices]
    assert "地区生产总值" in choices and "重点项目落地" not in choices


# --- Excel -------------------------------------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("实际值")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return out.getvalue()


HEAD = ["指标", "地区", "期间", "实际值（亿元）", "来源"]


def test_import_reports_errors_by_row_and_column_and_writes_nothing(indicators, users):
    before_audit = AuditEntry.objects.count()
    data = _xlsx(
        [
            ["2026年1-3季度地区生产总值"],  # a title row above the header
            HEAD,
            ["地区生产总值", "凌海市", "2026Q1", 15.5, "统计局"],
            ["gdp", "凌海市", "2026Q2", "十五亿", ""],  # fine, but rows below are not
            ["地区生产总值", "凌海市", "2026Q3", "abc", ""],
            ["地区生产总值", "不存在县", "2026Q3", 3, ""],
            ["重点项目落地", "凌海市", "2026Q3", 3, ""],
            ["地区生产总值", "凌海市", "2026Q9", 3, ""],
            ["地区生产总值", "凌海市", "2026Q1", 16, ""],  # the same as row 3
        ]
    )
    result = ActualImporter(users["admin"]).run(io.BytesIO(data))
    assert not result.ok
    found = [(e.row, e.column) for e in result.errors]
    assert found == [(5, "D"), (6, "B"), (7, "A"), (8, "C"), (9, "")]
    assert "实际值" in result.errors[0].header
    assert Actual.objects.count() == 0 and AuditEntry.objects.count() == before_audit


def test_import_keeps_officials_to_their_area(indicators, users):
    data = _xlsx(
        [HEAD, ["地区生产总值", "凌海市", "2026Q1", 15], ["地区生产总值", "黑山县", "2026Q1", 8]]
    )
    result = ActualImporter(users["official"]).run(io.BytesIO(data))
    assert [(e.row, e.column) for e in result.errors] == [(3, "B")]
    assert "outside your area" in result.errors[0].reason or "不在" in result.errors[0].reason
    assert Actual.objects.count() == 0


def test_import_writes_every_row_when_all_are_right(
    client, indicators, users, linghai, heishan, settings, tmp_path
):
    imports.use_immediate_imports(settings, tmp_path)
    data = _xlsx(
        [
            HEAD,
            ["地区生产总值", "凌海市", "2026Q1", 15.5, "统计局"],
            ["gdp", "210726", "2026-02", "8000万元"],
        ]
    )
    client.force_login(users["admin"])
    upload = SimpleUploadedFile("actuals.xlsx", data, content_type=XLSX)
    job, page = imports.import_file(client, "targets", upload)
    assert job.status == ImportStatus.COMMITTED, job.result
    assert job.counts["created"] == 2 and reverse("targets:board") in page
    rows = {a.region.name: a for a in Actual.objects.select_related("region")}
    assert rows["凌海市"].value == yi("15.5") and rows["凌海市"].source_note == "统计局"
    assert rows["黑山县"].value == Decimal(8000) and rows["黑山县"].period == Period(2026, month=2)
    assert AuditEntry.objects.filter(object_type="targets.actual").count() == 2


def test_import_page_shows_the_errors(client, indicators, users, settings, tmp_path):
    imports.use_immediate_imports(settings, tmp_path)
    client.force_login(users["admin"])
    data = _xlsx([HEAD, ["地区生产总值", "凌海市", "2026Q1", "abc"]])
    upload = SimpleUploadedFile("actuals.xlsx", data, content_type=XLSX)
    job, html = imports.import_file(client, "targets", upload)
    assert not job.can_commit and Actual.objects.count() == 0
    assert "abc" in html and "<td data-label" in html
    assert "row 2, column D" in imports.errors_on(html)
    upload = SimpleUploadedFile("actuals.xlsx", b"not a spreadsheet", content_type=XLSX)
    response = imports.upload(client, reverse("targets:import"), upload)
    if response.status_code == 302:  # refused by the check, not at the form
        job = imports.latest_job()
        assert job.status == ImportStatus.FAILED and job.result["file_errors"]
    else:
        assert response.status_code == 400


def test_export_has_targets_vs_actuals_and_reimports(client, gdp_2026, users, linghai):
    client.force_login(users["admin"])
    response = client.get(reverse("targets:export"), {"year": 2026})
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    first = book.get_sheet_by_index(0).to_python()
    assert len(first) == 1 + 3 * 10  # header + 3 indicators x (city + 9 areas)
    gdp_city = next(r for r in first if r[0] == "地区生产总值" and r[2] == "锦州市")
    assert (gdp_city[4], gdp_city[5]) == (100, 72)
    actuals = book.get_sheet_by_name("实际值").to_python()
    assert len(actuals) == 1 + 6
    # The actuals sheet goes back in unchanged.
    Actual.objects.filter(region=linghai).delete()
    result = ActualImporter(users["admin"]).run(io.BytesIO(content))
    assert result.ok, [str(e) for e in result.errors]
    assert Actual.objects.filter(region=linghai).count() == 3


def test_demo_targets_are_idempotent(users, regions):
    from guanjia.targets.demo import build_targets

    assert build_targets(today=TODAY) > 0
    assert Indicator.objects.count() == 4
    city = regions["210700"]
    gdp = Indicator.objects.get(code="gdp")
    area_sum = (
        Target.objects.filter(indicator=gdp, year=2026)
        .exclude(region=city)
        .aggregate(s=Sum("value"))["s"]
    )
    assert area_sum == Target.objects.get(indicator=gdp, year=2026, region=city).value == yi("1600")
    landed = Target.objects.get(indicator__code="key_projects_landed", year=2025, region=city)
    assert landed.value == 1000
    assert not Actual.objects.filter(indicator=gdp, year=2026, quarter=4).exists()
    assert Actual.objects.filter(indicator=gdp, year=2026, quarter=3).count() == 9
    assert set(summary(city, 2026, TODAY)[0]["lagging_areas"]) == {"义县", "北镇市"}
    entries = AuditEntry.objects.count()
    assert build_targets(today=TODAY) == 0
    assert AuditEntry.objects.count() == entries
