"""The direct line's intake and reply figures, with the 12345-style rates, on a small data set
whose every figure is worked out by hand below (docs/features.md, "Intake and reply")."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from guanjia.accounts.models import Department, Role
from guanjia.requests.models import Category, Rating, ServiceRequest, Status
from guanjia.servicerecords import figures
from guanjia.testing.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
AFTER = dt.datetime(2024, 4, 1, 9, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: float) -> dt.datetime:
    return dt.datetime(2024, month, day, tzinfo=SHANGHAI) + dt.timedelta(hours=hour)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def march(city, linghai, heishan, own_enterprise):
    """Seven requests. In March 2024:

    | req | area | dept | cat | accepted (h after submit)    | first reply (h) | answered    | rated       | closed / revisited |
    |-----|------|------|-----|-------------------------------|-----------------|-------------|-------------|--------------------|
    | r1  | 凌海 | 自然 | 用地 | 1 (limit 2 h: in time)        | 4               | on time     | satisfied   | closed, —          |
    | r2  | 凌海 | 自然 | 用电 | 3 (limit 2 h: late)           | 6               | late        | basically   | closed, revisited  |
    | r3  | 黑山 | 发改 | 用地 | 1.5 (limit 2 h: in time)      | 24              | (reopened)  | unsatisfied | —                  |
    | r4  | 黑山 | —    | 用电 | not yet; limit passed 3-28    | —               | —           | —           | —                  |
    | r5  | 凌海 | 自然 | 用地 | in February (not counted)     | 73 (3-01; leap) | on time     | satisfied   | closed, revisited  |
    | r6  | 黑山 | 发改 | 用电 | 8 (no intake limit)           | —               | —           | —           | —                  |
    | r7  | 凌海 | 自然 | 用地 | withdrawn before acceptance   | —               | —           | —           | —                  |
    """
    enterprise = EnterpriseFactory(region=heishan)
    land_dept, _ = Department.objects.get_or_create(name="自然资源局", region=city)
    plan_dept, _ = Department.objects.get_or_create(name="发改局", region=city)
    land = Category.objects.create(code="rates-land", name="用地")
    power = Category.objects.create(code="rates-power", name="用电")

    def req(n, region, dept, cat, submitted, **fields):
        fields.setdefault("status", Status.CLOSED)
        return ServiceRequest.objects.create(
            number=f"ZT2024{n:04d}",
            enterprise=enterprise,
            region=region,
            department=dept,
            category=cat,
            title=f"诉求{n}",
            text="需要协调",
            submitted_at=submitted,
            **fields,
        )

    s1 = at(3, 4, 9)
    req(1, linghai, land_dept, land, s1, intake_due_at=s1 + dt.timedelta(hours=2),
        accepted_at=s1 + dt.timedelta(hours=1), first_response_at=s1 + dt.timedelta(hours=4),
        replied_at=at(3, 6, 10), on_time=True, rating=Rating.SATISFIED, rated_at=at(3, 6, 11),
        closed_at=at(3, 6, 11))  # fmt: skip
    s2 = at(3, 5, 9)
    req(2, linghai, land_dept, power, s2, intake_due_at=s2 + dt.timedelta(hours=2),
        accepted_at=s2 + dt.timedelta(hours=3), first_response_at=s2 + dt.timedelta(hours=6),
        replied_at=at(3, 19, 10), on_time=False, rating=Rating.BASICALLY, rated_at=at(3, 20, 9),
        closed_at=at(3, 20, 9), reopen_count=1, revisited_at=at(3, 21, 10))  # fmt: skip
    s3 = at(3, 11, 9)
    req(3, heishan, plan_dept, land, s3, status=Status.HANDLING,
        intake_due_at=s3 + dt.timedelta(hours=2), accepted_at=s3 + dt.timedelta(hours=1.5),
        first_response_at=s3 + dt.timedelta(hours=24), rating=Rating.UNSATISFIED,
        rated_at=at(3, 15, 10), reopen_count=1, revisit_required=True)  # fmt: skip
    s4 = at(3, 28, 9)
    req(4, heishan, None, power, s4, status=Status.SUBMITTED,
        intake_due_at=s4 + dt.timedelta(hours=2))  # fmt: skip
    s5 = at(2, 27, 9)
    req(5, linghai, land_dept, land, s5, intake_due_at=s5 + dt.timedelta(hours=2),
        accepted_at=s5 + dt.timedelta(hours=1), first_response_at=s5 + dt.timedelta(hours=73),
        replied_at=at(3, 2, 10), on_time=True, rating=Rating.SATISFIED, rated_at=at(3, 2, 11),
        closed_at=at(3, 2, 11), revisited_at=at(3, 3, 10))  # fmt: skip
    s6 = at(3, 18, 9)
    req(6, heishan, plan_dept, power, s6, status=Status.ACCEPTED,
        accepted_at=s6 + dt.timedelta(hours=8))  # fmt: skip
    s7 = at(3, 25, 9)
    req(7, linghai, land_dept, land, s7, status=Status.WITHDRAWN,
        intake_due_at=s7 + dt.timedelta(hours=2))  # fmt: skip


def rows(by, city):
    found, total = figures.rate_figures(by, *MARCH, city, now=AFTER)
    return {r.label: r for r in found}, total


def approx(value):
    return pytest.approx(value, abs=1e-9)


def test_the_totals_are_the_hand_computed_rates(march, city):
    _rows, total = rows("area", city)
    # Accepted in March: r1, r2, r3, r6 — 1 + 3 + 1.5 + 8 = 13.5 h over 4.
    assert total.accepted == 4
    assert total.intake_hours == approx(13.5 / 4)
    # 及时受理率: r1, r3 in time of r1, r2, r3 and r4 (its limit passed, still not accepted);
    # r6 has no limit, r7 was withdrawn.
    assert (total.accepted_in_time, total.intake_limited) == (2, 4)
    assert total.intake_rate == approx(0.5)
    # First replies in March: r1 4 h, r2 6 h, r3 24 h, r5 73 h (2-27 09:00 → 3-01 10:00, 2024
    # is a leap year).
    assert total.first_replied == 4
    assert total.first_reply_hours == approx(107 / 4)
    # 按时办结率: answered in March r1 (on time), r2 (late), r5 (on time).
    assert total.on_time_rate == approx(2 / 3)
    # 满意率: rated r1 satisfied, r2 basically, r3 unsatisfied, r5 satisfied.
    assert total.satisfaction_rate == approx(3 / 4)
    # 回访率: closed r1, r2, r5; revisited r2, r5.
    assert total.revisit_rate == approx(2 / 3)


def test_by_area(march, city):
    by, _total = rows("area", city)
    ling, hei = by["凌海市"], by["黑山县"]
    assert (ling.accepted, ling.intake_hours, ling.intake_rate) == (2, approx(2.0), approx(0.5))
    assert ling.first_reply_hours == approx(83 / 3)
    assert (ling.on_time_rate, ling.satisfaction_rate, ling.revisit_rate) == (
        approx(2 / 3),
        approx(1.0),
        approx(2 / 3),
    )
    assert (hei.accepted, hei.intake_hours, hei.intake_rate) == (2, approx(4.75), approx(0.5))
    assert hei.first_reply_hours == approx(24.0)
    assert (hei.on_time_rate, hei.satisfaction_rate, hei.revisit_rate) == (None, 0.0, None)


def test_by_department(march, city):
    by, _total = rows("department", city)
    assert list(by) == ["发改局", "自然资源局", "—"]
    plan, land, none = by["发改局"], by["自然资源局"], by["—"]
    assert (plan.accepted, plan.intake_hours, plan.intake_rate) == (2, approx(4.75), approx(1.0))
    assert (plan.satisfaction_rate, plan.on_time_rate) == (0.0, None)
    assert (land.intake_rate, land.on_time_rate, land.revisit_rate) == (
        approx(0.5),
        approx(2 / 3),
        approx(2 / 3),
    )
    # r4 alone: handled by a steward, its intake limit passed without acceptance.
    assert (none.accepted, none.intake_hours, none.intake_rate) == (0, None, 0.0)


def test_by_category(march, city):
    by, _total = rows("category", city)
    land, power = by["用地"], by["用电"]
    assert (land.accepted, land.intake_hours, land.intake_rate) == (2, approx(1.25), approx(1.0))
    assert land.first_reply_hours == approx(101 / 3)
    assert (land.on_time_rate, land.satisfaction_rate, land.revisit_rate) == (
        approx(1.0),
        approx(2 / 3),
        approx(0.5),
    )
    assert (power.accepted, power.intake_hours, power.intake_rate) == (2, approx(5.5), 0.0)
    assert power.first_reply_hours == approx(6.0)
    assert (power.on_time_rate, power.satisfaction_rate, power.revisit_rate) == (
        0.0,
        approx(1.0),
        approx(1.0),
    )


def test_an_area_sees_only_its_own_requests(march, heishan):
    found, total = figures.rate_figures("category", *MARCH, heishan, now=AFTER)
    assert total.accepted == 2 and total.intake_limited == 2
    assert {r.label for r in found} == {"用地", "用电"}


def test_the_figures_page_shows_the_rates_by_the_chosen_grouping(client, users, march):
    client.force_login(users["admin"])
    page = client.get(
        reverse("servicerecords:figures"),
        {"period": "custom", "start": "2024-03-01", "end": "2024-03-31", "by": "category"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="service-rates"' in html
    assert "用地" in html and "用电" in html
    assert "50.0%" in html  # the total's 及时受理率
    assert "26.8" in html  # the total's first reply: 107 / 4 = 26.75 h


def test_a_steward_does_not_get_the_rates(client, users, march):
    client.force_login(UserFactory(username="s9", role=Role.STEWARD))
    page = client.get(reverse("servicerecords:figures"))
    assert page.status_code == 200
    assert 'id="service-rates"' not in page.content.decode()


def test_the_rates_are_in_the_excel_export(client, users, march):
    import io

    from python_calamine import CalamineWorkbook

    client.force_login(users["admin"])
    response = client.get(
        reverse("servicerecords:figures_export"),
        {"period": "custom", "start": "2024-03-01", "end": "2024-03-31", "by": "department"},
    )
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.get_sheet_by_name("Intake and reply").to_python()
    assert sheet[0][:4] == ["Name", "Accepted", "Intake time (h)", "Accepted in time (及时受理率)"]
    rows = {r[0]: r for r in sheet[1:]}
    assert list(rows) == ["发改局", "自然资源局", "—", "Total"]
    assert rows["发改局"][1:4] == [2, approx(4.75), approx(1.0)]
    assert rows["Total"][3] == approx(0.5)
    assert rows["Total"][4] == approx(107 / 4)
