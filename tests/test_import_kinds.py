"""Every import on the one page flow (guanjia.core.sheets.pages), kind by kind: the upload is
checked in the background, the preview shows the first rows and every row error by row and
column, confirming runs the job and the records appear; a bad file writes nothing; somebody
else's job is a 404."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import xlsxwriter
from django.urls import reverse

from guanjia.core.models import ImportJob, ImportStatus
from guanjia.leads.models import Lead
from guanjia.requests.loading import load_categories
from guanjia.requests.models import ServiceRequest
from guanjia.servicerecords.models import ServiceRecord
from guanjia.targets.models import Actual, Indicator, Source, Unit
from guanjia.testing import imports

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Asia/Shanghai"
    imports.use_immediate_imports(settings, tmp_path)


def xlsx(rows: list[list[Any]], sheet: str = "Sheet1") -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                page.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = "导入.xlsx"
    return buffer


@dataclass(frozen=True)
class Case:
    namespace: str
    importer: str  # a key of `users`
    outsider: str  # another user who may import this kind
    good: Callable[[Any], list[list[Any]]]  # rows, given the own enterprise
    bad: Callable[[Any], list[list[Any]]]  # rows with one error at BAD_AT
    bad_at: str  # "row N, column X “header”"
    preview: str  # a text of the good file's first row, shown in the preview
    written: Callable[[], int]


def _requests_good(own: Any) -> list[list[Any]]:
    return [
        ["编号", "提交时间", "企业", "类别", "标题", "状态", "答复时间"],
        [
            "LH-1",
            "2025-03-03 09:00",
            own.name,
            "用地保障",
            "规划条件迟迟未出",
            "已办结",
            "2025-03-05",
        ],
        ["LH-2", "2025-03-04", own.name, "融资信贷", "贷款贴息", "已撤回", None],
    ]


def _requests_bad(own: Any) -> list[list[Any]]:
    rows = _requests_good(own)
    rows[2] = ["LH-2", "2025-03-04", "没有这家企业", "融资信贷", "贷款贴息", "已撤回", None]
    return rows


def _services_good(own: Any) -> list[list[Any]]:
    return [
        ["日期", "企业", "方式", "内容"],
        ["2024-03-10", own.name, "走访", "上门了解用地进度"],
        ["2024-03-11", own.name, "电话", "电话回访"],
    ]


def _services_bad(own: Any) -> list[list[Any]]:
    rows = _services_good(own)
    rows[2] = ["2024-03-11", own.name, "打球", "电话回访"]
    return rows


def _targets_good(own: Any) -> list[list[Any]]:
    return [
        ["指标", "地区", "期间", "实际值(亿元)", "来源"],
        ["地区生产总值", "凌海市", "2026Q1", 15.5, "统计局"],
        ["地区生产总值", "凌海市", "2026Q2", 16, "统计局"],
    ]


def _targets_bad(own: Any) -> list[list[Any]]:
    rows = _targets_good(own)
    rows[2] = ["地区生产总值", "凌海市", "2026Q2", "abc", ""]
    return rows


def _leads_good(own: Any) -> list[list[Any]]:
    return [
        ["项目名称", "投资方", "所属区县", "来源", "进展情况"],
        ["风电装备项目", own.name, "凌海市", "展会", "在谈"],
        ["光伏组件项目", own.name, "凌海市", "以商招商", "线索"],
    ]


def _leads_bad(own: Any) -> list[list[Any]]:
    rows = _leads_good(own)
    rows[2][4] = "谈崩了"  # not a status
    return rows


CASES = {
    "requests": Case(
        "requests",
        "official",
        "admin",
        _requests_good,
        _requests_bad,
        "row 3, column C “企业”",
        "规划条件迟迟未出",
        lambda: ServiceRequest.objects.count(),
    ),
    "leads": Case(
        "leads",
        "official",
        "admin",
        _leads_good,
        _leads_bad,
        "row 3, column E “进展情况”",
        "风电装备项目",
        lambda: Lead.objects.count(),
    ),
    "servicerecords": Case(
        "servicerecords",
        "steward",
        "admin",
        _services_good,
        _services_bad,
        "row 3, column C “方式”",
        "上门了解用地进度",
        lambda: ServiceRecord.objects.count(),
    ),
    "targets": Case(
        "targets",
        "official",
        "admin",
        _targets_good,
        _targets_bad,
        "row 3, column D “实际值(亿元)”",
        "2026Q1",
        lambda: Actual.objects.count(),
    ),
}


@pytest.fixture
def world(users, own_enterprise, heishan):
    load_categories()
    Indicator.objects.create(
        code="gdp", name="地区生产总值", unit=Unit.YI, source=Source.ENTERED, sort_order=1
    )
    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    return {**users, "own": own_enterprise}


@pytest.fixture(params=sorted(CASES))
def case(request) -> Case:
    return CASES[request.param]


def _upload(client, case: Case, rows: list[list[Any]]) -> ImportJob:
    response = imports.upload(client, reverse(f"{case.namespace}:import"), xlsx(rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    job = imports.latest_job()
    assert response["Location"] == reverse(f"{case.namespace}:import_job", args=[job.pk])
    return job


def test_the_preview_shows_the_first_rows_then_confirming_writes_them(client, world, case):
    client.force_login(world[case.importer])
    before = case.written()

    job = _upload(client, case, case.good(world["own"]))

    assert job.kind == case.namespace and job.status == ImportStatus.VALIDATED, job.result
    assert (job.progress_done, job.progress_total) == (2, 2)
    page = client.get(reverse(f"{case.namespace}:import_job", args=[job.pk])).content.decode()
    assert "import-preview" in page and case.preview in page
    assert 'class="btn primary" disabled' not in page
    assert case.written() == before  # nothing until confirmed

    imports.confirm(client, case.namespace, job)

    assert job.status == ImportStatus.COMMITTED and job.counts["created"] == 2
    assert case.written() == before + 2
    page = client.get(reverse(f"{case.namespace}:import_job", args=[job.pk])).content.decode()
    assert "2 rows imported" in page


def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(client, world, case):
    client.force_login(world[case.importer])
    before = case.written()

    job = _upload(client, case, case.bad(world["own"]))

    assert job.status == ImportStatus.VALIDATED and not job.can_commit
    page = client.get(reverse(f"{case.namespace}:import_job", args=[job.pk])).content.decode()
    assert case.bad_at in imports.errors_on(page), imports.errors_on(page)
    assert "Nothing was imported" in page and 'class="btn primary" disabled' in page
    imports.confirm(client, case.namespace, job)  # pressing anyway
    assert job.status == ImportStatus.VALIDATED
    assert case.written() == before


def test_the_errors_are_in_chinese_for_a_chinese_user(client, world, case, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(world[case.importer])

    job = _upload(client, case, case.bad(world["own"]))

    page = client.get(reverse(f"{case.namespace}:import_job", args=[job.pk])).content.decode()
    assert "未导入任何数据" in page  # Nothing was imported
    row, column = case.bad_at.split(", column ")
    assert f'class="num">{row.removeprefix("row ")}</td>' in page and column in page
    reason = job.result["errors"][0]["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason), reason


def test_the_progress_polls_while_the_job_runs(client, world, case):
    user = world[case.importer]
    client.force_login(user)
    job = ImportJob.objects.create(
        user=user,
        kind=case.namespace,
        file="imports/x.xlsx",
        original_name="x.xlsx",
        status=ImportStatus.VALIDATING,
        progress_done=500,
        progress_total=2000,
    )
    url = reverse(f"{case.namespace}:import_progress", args=[job.pk])

    running = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert 'aria-valuenow="25"' in running.content.decode()
    page = client.get(reverse(f"{case.namespace}:import_job", args=[job.pk])).content.decode()
    assert 'id="import-progress"' in page

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATED)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == reverse(f"{case.namespace}:import_job", args=[job.pk])


def test_another_users_job_is_not_found(client, world, case):
    client.force_login(world[case.importer])
    job = _upload(client, case, case.good(world["own"]))
    ledger = ImportJob.objects.create(
        user=world[case.importer], file="imports/x.xlsx", original_name="x.xlsx"
    )
    client.force_login(world[case.outsider])

    for name in ("import_job", "import_progress"):
        url = reverse(f"{case.namespace}:{name}", args=[job.pk])
        assert client.get(url).status_code == 404
    commit = reverse(f"{case.namespace}:import_commit", args=[job.pk])
    assert client.post(commit).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    # A job of another kind is not shown on this kind's pages, even to its owner.
    client.force_login(world[case.importer])
    other_kind = reverse(f"{case.namespace}:import_job", args=[ledger.pk])
    assert client.get(other_kind).status_code == 404
