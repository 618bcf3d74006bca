"""Reports: figures from records in PDF, .docx and .xlsx; area scoping; the schedule; access by
role; the iCalendar feed."""

import datetime as dt
import io
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from guanjia.events.models import EventKind
from guanjia.events.services import recount
from guanjia.projects.models import StageChange
from guanjia.reports import content, render, services
from guanjia.reports.models import CalendarFeed, Report, ReportStatus, period_of
from guanjia.reports.tasks import schedule_reports
from guanjia.requests.models import Category, ServiceRequest, Status
from guanjia.servicerecords.models import ServiceRecord
from guanjia.testing.factories import (
    EnterpriseFactory,
    EventFactory,
    ProjectFactory,
    SigningFactory,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2023, 3, 20)
SUNDAY = dt.date(2023, 3, 26)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _sign(project, government, on, amount):
    SigningFactory(project=project, government=government, signed_on=on, amount_wan=amount)
    recount(project)


def _request(n, enterprise, region, category, submitted, **fields):
    return ServiceRequest.objects.create(
        number=f"ZT2023{n:04d}",
        enterprise=enterprise,
        region=region,
        category=category,
        title=f"诉求{n}",
        text="需要协调",
        submitted_at=submitted,
        **fields,
    )


@pytest.fixture
def week(regions, users, linghai, heishan, city):
    """A known week (2023-03-20 to 26) in 凌海市 and 黑山县, and some records outside it."""
    lh = EnterpriseFactory(name="凌海测试企业", region=linghai)
    hs = EnterpriseFactory(name="黑山测试企业", region=heishan)
    p1 = ProjectFactory(name="凌海针状焦项目", enterprise=lh, region=linghai, stage="signed")
    p2 = ProjectFactory(name="黑山风电项目", enterprise=hs, region=heishan, stage="signed")
    p3 = ProjectFactory(name="凌海扩建项目", enterprise=lh, region=linghai, stage="signed")
    _sign(p1, linghai, dt.date(2023, 3, 23), Decimal("50000"))
    _sign(p2, heishan, dt.date(2023, 3, 23), Decimal("30000"))
    _sign(p3, linghai, dt.date(2023, 1, 10), Decimal("10000"))  # first signing, before the week
    _sign(p3, linghai, dt.date(2023, 3, 21), Decimal("15000"))  # expansion: counts 5000
    p4 = ProjectFactory(
        name="凌海注册项目", enterprise=lh, region=linghai, stage="registered",
        signed_on=dt.date(2023, 2, 1), registered_on=dt.date(2023, 3, 22),
    )  # fmt: skip
    StageChange.objects.create(
        project=p4, from_stage="signed", to_stage="registered", effective_on=dt.date(2023, 3, 22)
    )
    p5 = ProjectFactory(
        name="黑山开工项目", enterprise=hs, region=heishan, stage="construction",
        registered_on=dt.date(2022, 12, 1), construction_on=dt.date(2023, 3, 24),
    )  # fmt: skip
    StageChange.objects.create(
        project=p5, from_stage="registered", to_stage="construction",
        effective_on=dt.date(2023, 3, 24),
    )  # fmt: skip
    ProjectFactory(
        name="凌海停滞项目",
        enterprise=lh,
        region=linghai,
        stage="signed",
        signed_on=dt.date(2022, 6, 1),
    )  # fmt: skip  (signed but not registered for 298 days: stalled)
    category = Category.objects.create(code="land", name="用地")
    _request(
        1, lh, linghai, category, _at(dt.date(2023, 3, 21)), status=Status.CLOSED,
        replied_at=_at(dt.date(2023, 3, 22)), on_time=True, closed_at=_at(dt.date(2023, 3, 23)),
    )  # fmt: skip
    _request(
        2, hs, heishan, category, _at(dt.date(2023, 3, 22)), status=Status.HANDLING,
        due_at=_at(dt.date(2023, 3, 24)),
    )  # fmt: skip
    _request(3, lh, linghai, category, _at(dt.date(2023, 2, 1)), status=Status.SUBMITTED)
    steward = users["steward"]
    for day, kind in ((21, "visit"), (22, "visit"), (23, "call")):
        ServiceRecord.objects.create(
            steward=steward, enterprise=lh, project=p1, region=linghai, kind=kind,
            date=dt.date(2023, 3, day), summary="走访企业",
        )  # fmt: skip
    ServiceRecord.objects.create(
        steward=steward, enterprise=hs, region=heishan, kind="visit",
        date=dt.date(2023, 1, 5), summary="年初走访",
    )  # fmt: skip
    EventFactory(
        name="医药健康产业论坛", kind=EventKind.FORUM, date=dt.date(2023, 3, 29), region=city
    )
    EventFactory(name="上月推介会", date=dt.date(2023, 2, 20), region=city)
    return {"linghai": linghai, "heishan": heishan, "city": city}


def figures_of(body: content.ReportContent) -> dict[str, tuple[str, str]]:
    return {f.label: (f.period, f.year) for f in body.figures}


def test_period_of():
    assert period_of("weekly", dt.date(2023, 3, 23)) == (MONDAY, SUNDAY)
    assert period_of("weekly", MONDAY) == (MONDAY, SUNDAY)
    assert period_of("monthly", dt.date(2023, 2, 14)) == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    assert period_of("monthly", dt.date(2024, 12, 31)) == (
        dt.date(2024, 12, 1),
        dt.date(2024, 12, 31),
    )


@translation.override("en")
def test_weekly_figures_for_the_city(week):
    body = content.build("weekly", MONDAY, SUNDAY, week["city"], now=_at(dt.date(2023, 3, 27)))
    figures = figures_of(body)
    assert figures["New signings (projects)"] == ("2", "3")  # the expansion counts no project
    assert figures["Investment signed"] == ("8.50", "9.50")  # 50000 + 30000 + 5000 万元
    assert figures["Projects registered"] == ("1", "1")
    assert figures["Projects started construction"] == ("1", "1")
    assert figures["Requests received"] == ("2", "3")
    assert figures["Answered on time"] == ("1", "1")
    assert figures["Requests closed"] == ("1", "1")
    assert figures["Requests overdue now"] == ("1", "1")
    assert figures["Steward services"] == ("3", "4")
    assert figures["of which visits"] == ("2", "3")
    tables = {t.title: t for t in body.tables}
    assert [r[1] for r in tables["Projects that moved stage"].rows] == [
        "凌海注册项目",
        "黑山开工项目",
    ]
    assert [r[1] for r in tables["New signings"].rows] == [
        "凌海扩建项目",
        "凌海针状焦项目",
        "黑山风电项目",
    ]
    stalled = tables["Stalled projects and what holds them"].rows
    assert [r[1] for r in stalled] == ["凌海停滞项目"]
    assert tables["Overdue requests by area"].rows == [["黑山县", "1", "0"]]
    assert [r[1] for r in tables["Next week's events"].rows] == ["医药健康产业论坛"]


@translation.override("en")
def test_area_report_sees_only_its_area(week):
    body = content.build("weekly", MONDAY, SUNDAY, week["linghai"], now=_at(dt.date(2023, 3, 27)))
    figures = figures_of(body)
    assert figures["New signings (projects)"] == ("1", "2")
    assert figures["Investment signed"] == ("5.50", "6.50")
    assert figures["Projects started construction"] == ("0", "0")
    assert figures["Requests overdue now"] == ("0", "0")
    text = render.to_html(body)
    assert "凌海针状焦项目" in text
    assert "黑山" not in text  # neither the project, the request, nor the area


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx_sheets(data: bytes) -> dict[str, list[list]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_files_contain_the_figures(week):
    report = Report.objects.create(
        kind="weekly", period_start=MONDAY, period_end=SUNDAY, region=week["city"], language="en"
    )
    files = services.build_files(report, now=_at(dt.date(2023, 3, 27)))

    pdf = _pdf_text(files["pdf"])
    assert files["pdf"].startswith(b"%PDF-")
    assert "Weekly project report" in pdf
    assert "New signings (projects) 2 3" in pdf
    assert "Investment signed 8.50 9.50" in pdf
    flat = re.sub(r"\s+", "", pdf)
    for name in ("凌海针状焦项目", "黑山风电项目", "凌海停滞项目", "医药健康产业论坛", "黑山县"):
        assert name in flat  # table cells wrap names onto a second line

    doc = _docx_text(files["docx"])
    assert "Weekly project report" in doc
    assert "New signings (projects) | 2 | 3" in doc
    assert "Investment signed | 8.50 | 9.50 | 100 million yuan" in doc
    assert "凌海停滞项目" in doc

    sheets = _xlsx_sheets(files["xlsx"])
    # The cockpit's and the targets' sheets come too when those apps are installed.
    assert [n for n in sheets if n not in ("Indicators this year", "Targets")] == [
        "Headline figures",
        "Projects that moved stage",
        "New signings",
        "Stalled projects and what holds",
        "Overdue requests by area",
        "Next week's events",
    ]
    rows = {r[0]: r[1:3] for r in sheets["Headline figures"][3:]}
    assert rows["New signings (projects)"] == [2, 3]  # numbers, so Excel sums them
    assert rows["Investment signed"] == [8.5, 9.5]
    signings = sheets["New signings"]
    assert [r[1] for r in signings[3:6]] == ["凌海扩建项目", "凌海针状焦项目", "黑山风电项目"]
    assert signings[7][0].startswith("* ")  # the note on the counting rule
    assert signings[4][0] == dt.date(2023, 3, 23) and signings[4][5] == 50000
    assert signings[3][6] == "5,000*"  # an expansion's counted increase, marked


def test_pdf_in_chinese(week):
    report = Report.objects.create(
        kind="weekly", period_start=MONDAY, period_end=SUNDAY, region=week["linghai"]
    )
    files = services.build_files(report, now=_at(dt.date(2023, 3, 27)))
    text = _pdf_text(files["pdf"])
    with translation.override("zh-hans"):
        title, heading = gettext("Weekly project report"), gettext("Headline figures")
    assert title in text and heading in text
    assert "凌海市" in text and "凌海针状焦项目" in text  # CJK glyphs embedded and extractable


# --- Generation, the schedule --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_generate_stores_files_and_replaces_them(week, tmp_path):
    with override_settings(TASKS=IMMEDIATE):
        report, queued = services.request_report(None, "weekly", dt.date(2023, 3, 22), week["city"])
    assert queued
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert (report.period_start, report.period_end) == (MONDAY, SUNDAY)
    first = report.pdf.name
    assert (tmp_path / "reports" / first).exists()
    with override_settings(TASKS=IMMEDIATE):
        again, queued = services.request_report(None, "weekly", SUNDAY, week["city"])
    assert queued and again.pk == report.pk
    again.refresh_from_db()
    assert again.status == ReportStatus.DONE and again.pdf.name != first
    assert not (tmp_path / "reports" / first).exists()
    assert Report.objects.count() == 1


def test_failed_generation_is_recorded(week, monkeypatch):
    report = Report.objects.create(
        kind="weekly", period_start=MONDAY, period_end=SUNDAY, region=week["city"]
    )

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(render, "to_pdf", broken)
    services.generate(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "no fonts" in report.error
    assert services.generate(report.pk) is None  # only a queued report is generated


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (_at(dt.date(2023, 3, 27), 7), [("weekly", MONDAY), ("monthly", dt.date(2023, 2, 1))]),
        # Monday before six: last week is not due yet; the week before is.
        (
            _at(dt.date(2023, 3, 27), 5),
            [("weekly", dt.date(2023, 3, 13)), ("monthly", dt.date(2023, 2, 1))],
        ),
        (_at(dt.date(2023, 4, 1), 7), [("weekly", MONDAY), ("monthly", dt.date(2023, 3, 1))]),
        (_at(dt.date(2023, 4, 1), 5), [("weekly", MONDAY), ("monthly", dt.date(2023, 2, 1))]),
    ],
)
def test_due_periods(moment, expected):
    due = [(kind, period_of(kind, day)[0]) for kind, day in services.due_periods(moment)]
    assert due == expected


def test_periodic_task_generates_once_per_period(week, django_capture_on_commit_callbacks):
    with (
        override_settings(TASKS=IMMEDIATE),
        time_machine.travel(_at(dt.date(2023, 3, 27), 7), tick=False),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = schedule_reports.call()
        with django_capture_on_commit_callbacks(execute=True):
            second = schedule_reports.call()
    assert len(first) == 2 and second == []
    reports = {(r.kind, r.period_start): r for r in Report.objects.all()}
    assert set(reports) == {("weekly", MONDAY), ("monthly", dt.date(2023, 2, 1))}
    assert all(r.region == week["city"] and r.status == ReportStatus.DONE for r in reports.values())
    with (
        override_settings(TASKS=IMMEDIATE),
        time_machine.travel(_at(dt.date(2023, 4, 3), 8), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert len(schedule_reports.call()) == 2  # the next week and March
    assert Report.objects.count() == 4


def test_scheduled_task_is_periodic():
    from guanjia.core.scheduling import REGISTRY

    assert "guanjia.reports.tasks.schedule_reports" in REGISTRY


# --- Pages and access ------------------------------------------------------------------------


@pytest.fixture
def done_reports(week):
    """A finished report for the city and one for 黑山县."""
    made = {}
    for key in ("city", "heishan"):
        report = Report.objects.create(
            kind="weekly", period_start=MONDAY, period_end=SUNDAY, region=week[key]
        )
        services.generate(report.pk)
        report.refresh_from_db()
        assert report.status == ReportStatus.DONE
        made[key] = report
    return made


LIST_EXPECTED = {
    "admin": 200,
    "leader": 200,
    "official": 200,
    "steward": 200,
    "handler": 403,
    "enterprise": 403,
}


@pytest.mark.parametrize(("role", "status"), LIST_EXPECTED.items())
def test_list_by_role(client, users, done_reports, role, status):
    client.force_login(users[role])
    response = client.get(reverse("reports:list"))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        downloads = body.count("/pdf/")
        # The official (凌海市) sees neither the city's report nor 黑山县's.
        assert downloads == (0 if role == "official" else 2)


def test_list_filters_and_polls(client, users, done_reports, week):
    client.force_login(users["admin"])
    response = client.get(reverse("reports:list"), {"area": week["heishan"].pk})
    assert response.context["page"].paginator.count == 1
    assert 'hx-trigger="every 3s"' not in response.content.decode()
    Report.objects.create(kind="monthly", period_start=dt.date(2023, 3, 1),
                          period_end=dt.date(2023, 3, 31), region=week["city"])  # fmt: skip
    response = client.get(reverse("reports:list"), HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "reports/_results.html"
    assert 'hx-trigger="every 3s"' in response.content.decode()  # polls while one is queued


def test_list_anonymous_goes_to_login(client):
    response = client.get(reverse("reports:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


GENERATE_EXPECTED = [
    # (role, area, status, report made)
    ("admin", "city", 302, True),
    ("leader", "heishan", 302, True),
    ("official", "linghai", 302, True),
    ("official", "heishan", 302, False),  # not their area: the form refuses it
    ("official", "city", 302, False),
    ("steward", "linghai", 403, False),
    ("handler", "linghai", 403, False),
    ("enterprise", "linghai", 403, False),
]


@pytest.mark.parametrize(("role", "area", "status", "made"), GENERATE_EXPECTED)
def test_generate_by_role(
    client, users, week, role, area, status, made, django_capture_on_commit_callbacks
):
    client.force_login(users[role])
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:generate"),
            {"kind": "weekly", "day": "2023-03-22", "area": week[area].pk},
        )
    assert response.status_code == status
    assert Report.objects.filter(region=week[area]).exists() is made
    if made:
        report = Report.objects.get(region=week[area])
        assert report.status == ReportStatus.DONE and report.created_by == users[role]


def test_generate_for_all_areas_only_for_who_sees_everything(client, users, week):
    client.force_login(users["admin"])  # a city admin bound to 锦州市
    client.post(reverse("reports:generate"), {"kind": "weekly", "day": "2023-03-22", "area": "all"})
    assert not Report.objects.exists()
    users["admin"].region = None
    users["admin"].save()
    client.post(reverse("reports:generate"), {"kind": "weekly", "day": "2023-03-22", "area": "all"})
    assert Report.objects.get().region is None


def test_generate_refuses_a_future_period(client, users, week):
    client.force_login(users["admin"])
    future = timezone.localdate() + dt.timedelta(days=10)
    client.post(
        reverse("reports:generate"),
        {"kind": "weekly", "day": future.isoformat(), "area": week["city"].pk},
    )
    assert not Report.objects.exists()


DOWNLOAD_EXPECTED = [
    ("admin", "city", 200),
    ("leader", "heishan", 200),
    ("steward", "city", 200),
    ("official", "heishan", 404),  # another area's report
    ("official", "city", 404),
    ("handler", "city", 403),
    ("enterprise", "city", 403),
]


@pytest.mark.parametrize(("role", "which", "status"), DOWNLOAD_EXPECTED)
@pytest.mark.parametrize("fmt", ["pdf", "docx", "xlsx"])
def test_download_by_role(client, users, done_reports, role, which, status, fmt):
    client.force_login(users[role])
    response = client.get(reverse("reports:download", args=[done_reports[which].pk, fmt]))
    assert response.status_code == status
    if status == 200:
        data = b"".join(response.streaming_content)
        assert data[:4] in (b"%PDF", b"PK\x03\x04")
        assert response["Cache-Control"] == "private, no-store"
        assert f".{fmt}" in response["Content-Disposition"]


def test_download_of_an_unknown_format_or_unfinished_report(client, users, done_reports, week):
    client.force_login(users["admin"])
    assert client.get(f"/reports/{done_reports['city'].pk}/exe/").status_code == 404
    queued = Report.objects.create(kind="monthly", period_start=dt.date(2023, 3, 1),
                                   period_end=dt.date(2023, 3, 31), region=week["city"])  # fmt: skip
    assert client.get(reverse("reports:download", args=[queued.pk, "pdf"])).status_code == 404


def test_official_reads_their_own_area(client, users, week):
    report = Report.objects.create(
        kind="weekly", period_start=MONDAY, period_end=SUNDAY, region=week["linghai"]
    )
    services.generate(report.pk)
    client.force_login(users["official"])
    response = client.get(reverse("reports:download", args=[report.pk, "pdf"]))
    assert response.status_code == 200


# --- The calendar feed -----------------------------------------------------------------------


CALENDAR_PAGE_EXPECTED = {**LIST_EXPECTED}


@pytest.mark.parametrize(("role", "status"), CALENDAR_PAGE_EXPECTED.items())
def test_calendar_page_by_role(client, users, role, status):
    client.force_login(users[role])
    response = client.get(reverse("reports:calendar"))
    assert response.status_code == status
    if status == 200:
        token = CalendarFeed.objects.get(user=users[role]).token
        assert f"calendar.ics?token={token}" in response.content.decode()


@pytest.fixture
def calendar_data(users, linghai, heishan, city):
    today = timezone.localdate()
    lh = EnterpriseFactory(name="凌海日历企业", region=linghai)
    hs = EnterpriseFactory(name="黑山日历企业", region=heishan)
    EventFactory(name="凌海推介会", date=today + dt.timedelta(days=5), region=linghai)
    EventFactory(name="黑山对接会", date=today + dt.timedelta(days=6), region=heishan)
    EventFactory(name="锦州早年推介会", date=today - dt.timedelta(days=2000), region=linghai)
    ServiceRecord.objects.create(
        steward=users["steward"], enterprise=lh, region=linghai, kind="visit",
        date=today - dt.timedelta(days=400), summary="很久以前的走访",
    )  # fmt: skip
    steward = users["steward"]
    for enterprise, region in ((lh, linghai), (hs, heishan)):
        ServiceRecord.objects.create(
            steward=steward, enterprise=enterprise, region=region, kind="visit",
            date=today - dt.timedelta(days=3), summary="走访",
        )  # fmt: skip
    ServiceRecord.objects.create(
        steward=steward, enterprise=lh, region=linghai, kind="call",
        date=today - dt.timedelta(days=2), summary="电话",
    )  # fmt: skip


def _feed(client, user):
    from icalendar import Calendar

    token = CalendarFeed.objects.get_or_create(user=user)[0].token
    client.logout()  # calendar apps have no session
    response = client.get(reverse("reports:calendar_feed"), {"token": token})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return sorted(str(c.get("summary")) for c in cal.walk("VEVENT"))


def test_feed_for_the_official_holds_their_area_only(client, users, calendar_data):
    summaries = _feed(client, users["official"])
    assert "凌海推介会" in summaries
    assert "黑山对接会" not in summaries
    assert "锦州早年推介会" in summaries  # events however old; visits of the last half year
    visits = [s for s in summaries if "日历企业" in s]
    assert len(visits) == 1 and "凌海日历企业" in visits[0]  # the call is not a visit


def test_feed_for_the_leader_and_the_steward(client, users, calendar_data):
    leader = _feed(client, users["leader"])
    assert {"凌海推介会", "黑山对接会"} <= set(leader)
    assert len([s for s in leader if "日历企业" in s]) == 2
    steward = _feed(client, users["steward"])
    assert len([s for s in steward if "日历企业" in s]) == 2  # their own visits


def test_feed_with_a_bad_token(client, users, calendar_data):
    assert client.get(reverse("reports:calendar_feed")).status_code == 404
    assert client.get(reverse("reports:calendar_feed"), {"token": "nope"}).status_code == 404
    feed = CalendarFeed.objects.create(user=users["leader"])
    old = feed.token
    client.force_login(users["leader"])
    client.post(reverse("reports:calendar"))
    client.logout()
    assert client.get(reverse("reports:calendar_feed"), {"token": old}).status_code == 404
    feed.refresh_from_db()
    assert client.get(reverse("reports:calendar_feed"), {"token": feed.token}).status_code == 200
    users["leader"].is_active = False
    users["leader"].save()
    assert client.get(reverse("reports:calendar_feed"), {"token": feed.token}).status_code == 404


def test_feed_of_a_role_without_one(client, users):
    feed = CalendarFeed.objects.create(user=users["handler"])
    assert client.get(reverse("reports:calendar_feed"), {"token": feed.token}).status_code == 403


def test_nav_link_for_staff_only(client, users):
    for role, shown in (("admin", True), ("steward", True), ("handler", False)):
        client.force_login(users[role])
        page = client.get(reverse("notifications:inbox")).content.decode()
        assert ('href="/reports/"' in page) is shown, role


@translation.override("en")
def test_monthly_report_lists_next_months_events(week):
    body = content.build("monthly", dt.date(2023, 2, 1), dt.date(2023, 2, 28), week["city"])
    events = {t.title: t for t in body.tables}["Next month's events"]
    assert [r[1] for r in events.rows] == ["医药健康产业论坛"]
    assert figures_of(body)["New signings (projects)"] == ("0", "1")


def test_a_pending_report_is_not_queued_twice_unless_stuck(week):
    report, queued = services.request_report(None, "weekly", MONDAY, week["city"])
    assert queued and report.status == ReportStatus.QUEUED
    assert services.request_report(None, "weekly", SUNDAY, week["city"]) == (report, False)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1)
    )
    again, queued = services.request_report(None, "weekly", SUNDAY, week["city"])
    assert queued and again.pk == report.pk and again.status == ReportStatus.QUEUED


@translation.override("en")
def test_cockpit_and_targets_figures_when_installed(week, monkeypatch):
    def kpis(region, year):
        assert (region, year) == (week["city"], 2023)
        return {"signed_count": 49, "landing_rate": 0.25, "unknown_key": "x"}

    def summary(region, year):
        return [
            {"name": "GDP", "unit": "亿元", "target": Decimal("1600"), "actual": Decimal("400"),
             "ratio": 0.25, "expected": 0.5, "status": "lagging", "lagging_areas": ["义县"]},
        ]  # fmt: skip

    found = {
        "guanjia.cockpit.figures.kpis": kpis,
        "guanjia.cockpit.figures.last_refreshed": lambda: timezone.now(),
        "guanjia.targets.progress.summary": summary,
    }
    monkeypatch.setattr(content, "_optional", lambda app, path: found.get(path))
    # An old week's report does not carry today's live figures.
    assert content.build("weekly", MONDAY, SUNDAY, week["city"]).indicators == []
    just_after = dt.datetime.combine(SUNDAY + dt.timedelta(days=1), dt.time(6), dt.UTC)
    body = content.build("weekly", MONDAY, SUNDAY, week["city"], now=just_after)
    assert body.indicators == [
        ("Projects signed this year", "49"),
        ("Landing rate (signed → registered)", "25.0%"),
        ("unknown_key", "x"),
    ]
    assert body.targets is not None
    assert body.targets.rows == [
        ["GDP", "亿元", "1,600.00", "400.00", "25.0%", "50.0%", "Behind schedule", "义县"]
    ]
    sheets = _xlsx_sheets(render.to_xlsx(body))
    assert "Indicators this year" in sheets and "Targets" in sheets

    def broken(region, year):
        raise RuntimeError("rollup missing")

    found["guanjia.cockpit.figures.kpis"] = broken
    found["guanjia.targets.progress.summary"] = broken
    body = content.build("weekly", MONDAY, SUNDAY, week["city"], now=just_after)
    assert body.indicators == [] and body.targets is None  # the report goes out without them
