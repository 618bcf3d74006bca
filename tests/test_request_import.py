"""Importing past requests (诉求台账) from Excel: all or nothing, duplicates skipped, scoped."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from django.test import Client
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from guanjia.accounts.models import Role
from guanjia.core.models import AuditAction, AuditEntry, ImportJob, ImportStatus
from guanjia.notifications.models import Notification
from guanjia.requests import importers, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    Category,
    EventKind,
    Rating,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)
from guanjia.testing import imports
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
IMPORT = reverse("requests:import")
QUEUE = reverse("requests:queue")
HEADER = [
    "编号",  # A
    "提交时间",  # B
    "企业",  # C
    "类别",  # D
    "标题",  # E
    "内容",  # F
    "状态",  # G
    "答复时间",  # H
    "答复内容",  # I
    "是否按时",  # J
    "评价",  # K
    "项目管家",  # L
    "项目",  # M
]


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    # The assertions read the English msgids, whatever the Chinese catalogue says.
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Asia/Shanghai"
    imports.use_immediate_imports(settings, tmp_path)


@pytest.fixture
def world(users, linghai, heishan, own_enterprise):
    load_categories()
    load_holidays([2025])
    steward = UserFactory(
        username="s_lh", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    project_steward = UserFactory(
        username="s_coke", role=Role.STEWARD, region=linghai, display_name="针状焦管家"
    )
    own_enterprise.steward = steward
    own_enterprise.save()
    coke = ProjectFactory(
        name="针状焦项目", enterprise=own_enterprise, region=linghai, steward=project_steward
    )
    other_steward = UserFactory(username="s_hs", role=Role.STEWARD, region=heishan)
    other = EnterpriseFactory(name="黑山风电有限公司", region=heishan, steward=other_steward)
    wind = ProjectFactory(name="黑山风电项目", enterprise=other, region=heishan)
    return {
        **users,
        "own": own_enterprise,
        "lh_steward": steward,
        "coke_steward": project_steward,
        "coke": coke,
        "other": other,
        "other_steward": other_steward,
        "wind": wind,
    }


def xlsx(rows: list[list[object]]) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, moment)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = "诉求台账.xlsx"
    return buffer


def upload(client: Client, buffer: io.BytesIO):
    """Upload a file: it is checked at once; the response sends to the job's page."""
    return imports.upload(client, IMPORT, buffer)


def import_file(client: Client, buffer: io.BytesIO) -> tuple[ImportJob, str]:
    """Upload, check, confirm when it may be imported: the job and its page."""
    return imports.import_file(client, "requests", buffer)


def good_rows(world) -> list[list[object]]:
    own = world["own"]
    return [
        HEADER,
        # Monday 09:00, land (general: 5 working days → due next Monday 09:00), answered Wed.
        [
            "LH-2025-001",
            dt.datetime(2025, 3, 3, 9, 0),
            own.name,
            "用地保障",
            "规划条件迟迟未出",
            "项目已摘地三个月，规划条件仍未出具。",
            "已办结",
            dt.datetime(2025, 3, 5, 10, 0),
            "已协调自然资源局出具规划条件。",
            None,
            "满意",
            None,
            "针状焦项目",
        ],
        # By credit code and category code; energy is complex (15 working days): answered late.
        [
            "LH-2025-002",
            dt.date(2025, 3, 3),
            own.credit_code,
            "energy",
            "能耗指标不足",
            None,
            "已答复",
            dt.date(2025, 4, 30),
            None,
            None,
            None,
            "凌海管家",
            None,
        ],
        ["LH-2025-003", "2025-03-04 10:30", own.name, "融资信贷", "贷款贴息", "", "已撤回"],
        # Answered and rated satisfied: closed, as the web flow would; 否 in the file wins.
        [
            "LH-2025-004",
            "2025/3/10",
            own.name,
            "用工与人才",
            "招工难",
            "需要技术工人",
            "已答复",
            "2025/3/11",
            "已对接人社局招聘会。",
            "否",
            "基本满意",
            "s_lh",
            None,
        ],
    ]


def test_a_good_file_imports_every_row_as_history(client, world):
    client.force_login(world["admin"])
    job, page = import_file(client, xlsx(good_rows(world)))
    assert job.status == ImportStatus.COMMITTED, job.result
    assert "4 rows imported" in page and QUEUE in page

    imported = {
        e.data["source_number"]: e.request
        for e in RequestEvent.objects.filter(kind=EventKind.SUBMIT).select_related("request")
    }
    assert set(imported) == {"LH-2025-001", "LH-2025-002", "LH-2025-003", "LH-2025-004"}
    first, second, third, fourth = (imported[f"LH-2025-00{i}"] for i in range(1, 5))

    assert first.status == Status.CLOSED and first.rating == Rating.SATISFIED
    assert first.number == f"ZT2025{first.pk:07d}"
    assert first.source == Source.STAFF and first.submitted_by == world["admin"]
    assert first.project == world["coke"] and first.region == world["coke"].region
    assert first.steward == world["coke_steward"]  # the project's steward, as submit does
    assert first.submitted_at == at(2025, 3, 3, 9, 0)
    assert first.resolve_due_at == at(2025, 3, 10, 9, 0)
    assert first.replied_at == at(2025, 3, 5, 10, 0) and first.on_time is True
    assert first.answer == "已协调自然资源局出具规划条件。"
    assert first.due_at is None and first.next_mark == ""
    assert [e.kind for e in first.events.all()] == ["submit", "reply", "close", "rate"]

    assert second.status == Status.REPLIED and second.on_time is False
    assert second.category.code == "energy" and second.text == second.title
    assert second.steward == world["lh_steward"]
    assert [e.kind for e in second.events.all()] == ["submit", "reply"]

    assert third.status == Status.WITHDRAWN and third.replied_at is None
    assert third.closed_at == third.submitted_at == at(2025, 3, 4, 10, 30)
    assert third.on_time is None
    assert [e.kind for e in third.events.all()] == ["submit", "withdraw"]

    assert fourth.status == Status.CLOSED and fourth.rating == Rating.BASICALLY
    assert fourth.on_time is False  # the file says so
    assert [(e.kind, e.to_status) for e in fourth.events.all()] == [
        ("submit", "submitted"),
        ("reply", "replied"),
        ("rate", "closed"),
    ]

    detail = client.get(reverse("requests:detail", args=[first.pk])).content.decode()
    assert "已协调自然资源局出具规划条件。" in detail and "On time" in detail

    entries = AuditEntry.objects.filter(object_type="requests.servicerequest", note="import")
    assert entries.count() == 4 and {e.action for e in entries} == {AuditAction.CREATE}
    assert Notification.objects.count() == 0  # history tells nobody


def test_the_same_file_again_is_skipped_row_by_row(client, world):
    client.force_login(world["admin"])
    assert import_file(client, xlsx(good_rows(world)))[0].status == ImportStatus.COMMITTED
    job, page = import_file(client, xlsx(good_rows(world)))
    assert job.status == ImportStatus.VALIDATED and not job.can_commit
    assert job.counts["to_create"] == 0 and len(job.result["skipped"]) == 4
    assert "There is nothing new to import." in page
    assert "row 2: number LH-2025-001 was imported before as request ZT2025" in page
    assert ServiceRequest.objects.count() == 4


def test_a_number_already_a_request_here_is_skipped_without_checking(client, world):
    sr = services.submit(
        world["enterprise"],
        enterprise=world["own"],
        category=Category.objects.get(code="land"),
        title="已有的诉求",
        text="x",
    )
    rows = [
        HEADER,
        [sr.number, "2025-03-03", "不存在的企业", "无此类别", "t", "", "办理中"],
        ["LH-9", "2025-03-03", world["own"].name, "用地保障", "新诉求", "", "已撤回"],
        ["LH-9", "2025-03-03", world["own"].name, "用地保障", "新诉求", "", "已撤回"],
    ]
    result = importers.import_requests(xlsx(rows), world["admin"])
    assert result.ok and result.created == 1
    assert result.skipped == [
        f"row 2: request {sr.number} is already recorded; skipped",
        "row 4 repeats row 3 (number LH-9); skipped",
    ]


def test_a_bad_row_writes_nothing_and_every_problem_is_named(client, world):
    own = world["own"]
    rows = good_rows(world) + [
        ["X-1", "2025-03-03", "没有这家企业", "用地保障", "a", "", "已办结", "2025-03-04"],
        ["X-2", "2025-02-30", own.name, "用地保障", "b", "", "已办结", "2025-03-04"],
        ["X-3", "2025-03-03", own.name, "用地保障", "c", "", "办理中"],
        ["X-4", "2025-03-03", own.name, "用地保障", "d", "", "已办结", "2025-03-04", *[None] * 4]
        + ["黑山风电项目"],
        ["X-5", "2025-03-05", own.name, "打球", "e", "", "已答复", "2025-03-04", "", "也许"],
        ["X-6", "2025-03-05", own.name, "用地保障", "f", "", "已撤回", "2025-03-06", "答了"],
        ["X-7", "2025-03-05", own.name, "用地保障", "g", "", "已办结", None, "", "", "", "无名"],
    ]
    client.force_login(world["admin"])
    job, shown = import_file(client, xlsx(rows))
    assert job.status == ImportStatus.VALIDATED and not job.can_commit
    assert "Nothing was imported" in shown and 'class="btn primary" disabled' in shown
    # Confirming anyway writes nothing.
    imports.confirm(client, "requests", job)
    assert job.status == ImportStatus.VALIDATED
    page = imports.errors_on(shown)
    assert "row 6, column C “企业”: “没有这家企业” is not among the enterprises you serve" in page
    assert "row 7, column B “提交时间”: “2025-02-30” is not a real date" in page
    assert "row 8, column G “状态”: “办理中” is an open request" in page
    assert "enter open requests through the web so that their clock runs" in page
    assert f"row 9, column M “项目”: “黑山风电项目” is not a project of {own.name}" in page
    assert "row 10, column D “类别”: “打球” is not a request category" in page
    assert "row 10, column H “答复时间”: it was answered before it was submitted" in page
    assert "row 10, column J “是否按时”: “也许” is neither 是 nor 否" in page
    assert "row 11, column H “答复时间”: a withdrawn request has no answer" in page
    assert "row 11, column I “答复内容”: a withdrawn request has no answer" in page
    assert "row 12, column H “答复时间”: an answered or closed request needs the date" in page
    assert "row 12, column L “项目管家”: no steward with the username or name “无名”" in page
    assert ServiceRequest.objects.count() == 0
    assert RequestEvent.objects.count() == 0
    assert not AuditEntry.objects.filter(note="import").exists()


def test_an_unsatisfied_answer_and_a_missing_column_are_refused(world):
    rows = [
        ["提交时间", "企业", "类别", "标题"],
        ["2025-03-03", world["own"].name, "用地保障", "a"],
    ]
    result = importers.import_requests(xlsx(rows), world["admin"])
    assert result.messages == ["the header row lacks the required columns: 状态"]
    rows = [
        HEADER,
        ["", "2025-03-03", world["own"].name, "用地保障", "a", "", "已答复", "2025-03-04"]
        + ["", "", "不满意"],
    ]
    result = importers.import_requests(xlsx(rows), world["admin"])
    assert [str(e) for e in result.errors] == [
        "row 2, column K “评价”: an unsatisfied rating reopens the request: enter it through "
        "the web, or write 已办结 if it was closed after the revisit"
    ]


def test_aliases_an_ignored_column_and_a_date_only_answer_on_the_due_day(world):
    # 诉求企业 and 诉求内容 are aliases; 序号 is ignored silently, 备注 with a note.
    rows = [
        ["序号", "受理时间", "诉求企业", "诉求类别", "诉求事项", "办理状态", "回复日期", "备注"],
        [1, "2025-03-03", world["own"].name, "用地保障", "a", "已答复", "2025-03-07", "x"],
        [2, "2025-03-03", world["own"].name, "用地保障", "b", "已答复", "2025-03-08", "x"],
    ]
    result = importers.import_requests(xlsx(rows), world["admin"])
    assert result.ok, result.messages
    assert result.notes == ["column H “备注” not recognised, ignored"]
    # Submitted on a date: five working days run out on Friday 03-07 (due 17:30).
    due_day, next_day = result.requests
    assert timezone_date(due_day.resolve_due_at) == dt.date(2025, 3, 7)
    assert due_day.on_time is True and next_day.on_time is False


def timezone_date(moment: dt.datetime | None) -> dt.date:
    assert moment is not None
    return moment.astimezone(TZ).date()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_export_of_the_queue_reads_back_as_all_duplicates(client, world, settings, language):
    settings.LANGUAGE_CODE = language
    open_one = services.submit(
        world["enterprise"],
        enterprise=world["own"],
        category=Category.objects.get(code="land"),
        title="仍在办理的诉求",
        text="x",
        project=world["coke"],
    )
    assert importers.import_requests(xlsx(good_rows(world)), world["admin"]).created == 4
    client.force_login(world["admin"])
    exported = client.get(reverse("requests:export"), {"queue": "all"})
    assert exported.status_code == 200
    content = b"".join(exported.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    assert len(sheet.to_python()) == 6  # the header and five requests
    with translation.override(language):
        checked = importers.check_file(io.BytesIO(content), world["admin"])
    # Every column of the export is known: imported, or ignored on purpose (the clock's).
    assert checked.ok and checked.notes == [] and len(checked.skipped) == 5
    exported_file = io.BytesIO(content)
    exported_file.name = "requests.xlsx"
    job, page = import_file(client, exported_file)
    assert job.counts["to_create"] == 0 and len(job.result["skipped"]) == 5
    assert 'class="btn primary" disabled' in page  # nothing new to import
    assert ServiceRequest.objects.count() == 5
    assert open_one.number in client.get(QUEUE, {"queue": "all"}).content.decode()


ROLES_403 = ["steward", "handler", "enterprise", "leader"]


@pytest.mark.parametrize("role", ROLES_403)
def test_who_may_not_import(client, world, role):
    client.force_login(world[role])
    assert client.get(IMPORT).status_code == 403
    assert client.get(IMPORT, {"template": 1}).status_code == 403
    assert upload(client, xlsx(good_rows(world))).status_code == 403
    assert "Import from Excel" not in client.get(QUEUE).content.decode()
    assert ServiceRequest.objects.count() == 0


@pytest.mark.parametrize("role", ["admin", "official"])
def test_bureau_staff_and_officials_see_the_page(client, world, role):
    client.force_login(world[role])
    assert "Import from Excel" in client.get(QUEUE).content.decode()
    page = client.get(IMPORT)
    assert page.status_code == 200
    assert "统一社会信用代码" in page.content.decode()


def test_an_official_imports_only_for_their_area(client, world):
    # The official works in 凌海市: the 黑山 enterprise is not theirs.
    own, other = world["own"], world["other"]
    rows = [
        HEADER,
        ["", "2025-03-03", own.name, "用地保障", "凌海的诉求", "", "已撤回"],
        ["", "2025-03-03", other.name, "用地保障", "黑山的诉求", "", "已撤回"],
    ]
    client.force_login(world["official"])
    job, page = import_file(client, xlsx(rows))
    assert not job.can_commit
    assert (
        f"row 3, column C “企业”: “{other.name}” is not among the enterprises you serve"
        in imports.errors_on(page)
    )
    # An enterprise of the area with a project elsewhere: that project is not one the official
    # may name, and is refused exactly like a project that does not exist.
    elsewhere = ProjectFactory(name="黑山分厂", enterprise=own, region=world["wind"].region)
    rows = [HEADER, ["", "2025-03-03", own.name, "用地保障", "x", "", "已撤回", *[None] * 5]]
    rows[1].append(elsewhere.name)
    result = importers.import_requests(xlsx(rows), world["official"])
    assert [str(e) for e in result.errors] == [
        f"row 2, column M “项目”: “黑山分厂” is not a project of {own.name}"
    ]
    rows = [HEADER, ["", "2025-03-03", own.name, "用地保障", "凌海的诉求", "", "已撤回"]]
    assert import_file(client, xlsx(rows))[0].status == ImportStatus.COMMITTED
    assert ServiceRequest.objects.get().region == own.region


def test_the_template_downloads_and_reads_back_empty(client, world):
    client.force_login(world["admin"])
    response = client.get(IMPORT, {"template": "1"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    assert sheet.to_python()[0][:5] == ["编号", "提交时间", "企业", "统一社会信用代码", "类别"]
    result = importers.check_file(io.BytesIO(content), world["admin"])
    assert result.file_errors == ["the file has no rows under its header"]


def test_a_file_that_is_not_a_spreadsheet(client, world):
    client.force_login(world["admin"])
    bogus = io.BytesIO(b"not a spreadsheet")
    bogus.name = "台账.xlsx"
    response = upload(client, bogus)
    if response.status_code == 302:  # refused by the check rather than at the form
        job, page = import_file(client, bogus)
        assert job.status == ImportStatus.FAILED
        assert "could not be read as a spreadsheet" in page
    else:
        assert response.status_code == 400
        assert "could not be read as a spreadsheet" in response.content.decode()
    text = io.BytesIO(b"a,b")
    text.name = "台账.csv"
    response = upload(client, text)
    assert response.status_code == 400
    assert "is not a spreadsheet" in response.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_times_in_text_and_serial_numbers(world):
    assert importers.parse_moment("2025-03-03 14:30") == importers.Moment(
        at(2025, 3, 3, 14, 30), True
    )
    assert importers.parse_moment("2025年3月3日") == importers.Moment(at(2025, 3, 3), False)
    assert importers.parse_moment(45719.5) == importers.Moment(at(2025, 3, 3, 12, 0), True)
    assert importers.parse_moment("—") is None
    with pytest.raises(importers.CellError):
        importers.parse_moment("2025-03-03 25:00")


def test_the_export_writes_the_queue_columns_for_each_reader(client, world):
    headers = [
        "Number", "Submitted", "Enterprise", "Area", "Category", "Priority", "Title", "Status",
        "Steward", "Assigned to", "Department", "Dispatched", "Resolve by", "Answered",
        "On time", "Escalation level", "Rating", "Times reopened", "Latest progress",
    ]  # fmt: skip
    importers.import_requests(xlsx(good_rows(world)), world["admin"])
    for role, expected in (
        ("admin", headers),
        ("enterprise", [h for h in headers if h != "Escalation level"]),
    ):
        client.force_login(world[role])
        response = client.get(reverse("requests:export"), {"queue": "all"})
        content = b"".join(response.streaming_content)
        rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        table = rows.to_python()
        assert table[0] == expected
        assert len(table) == 5  # the four imported requests are the enterprise's own
        first = next(r for r in table if r[6] == "规划条件迟迟未出")
        assert first[1] == dt.datetime(2025, 3, 3, 9, 0)  # local wall time, a real date-time
