"""Importing another office's ledger in a browser: upload, progress, preview, commit.

The site's default task backend (django-tasks-db) queues the checking and the commit; the test
plays the worker, so the page is seen waiting first and then showing what the worker found.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
import xlsxwriter
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from guanjia.core.models import ImportJob, ImportStatus
from guanjia.enterprises.creditcode import make_code
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "序号",
    "项目名称",
    "企业名称",
    "统一社会信用代码",
    "所属县区",
    "产业类别",
    "当前阶段",
    "总投资(亿元)",
    "签约时间",
    "备注",
]
GOOD_ROWS = [
    [
        1,
        "锦州港临港物流园项目",
        "锦州港临港物流有限公司",
        make_code("91210781MA0K7Q3X1"),
        "凌海市",
        "临港产业",
        "签约",
        3.5,
        dt.date(2023, 3, 23),
        "对接会签约",
    ],
    [
        2,
        "北镇葡萄精深加工项目",
        "北镇市鑫源果业有限公司",
        make_code("91210782MA0L2P8C4"),
        "北镇市",
        "农副产品精深加工",
        "在谈",
        0.8,
        None,
        "",
    ],
]
BAD_CODE = "91210781MA0K7Q3X1" + ("0" if make_code("91210781MA0K7Q3X1")[-1] != "0" else "1")
BAD_ROWS = [
    [
        1,
        "锦州港临港物流园项目",
        "锦州港临港物流有限公司",
        BAD_CODE,
        "火星区",
        "临港产业",
        "签约",
        "很多",
        dt.date(2023, 3, 23),
        "",
    ],
    [2, "", "北镇市鑫源果业有限公司", "", "北镇市", "农副产品精深加工", "开会中", 0.8, None, ""],
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A ledger as another office keeps it: Chinese headers, amounts in 亿元, real dates."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return path


class PlayedWorker:
    """The background worker, played by the test between two looks at the page.

    On SQLite the live server shares the test's in-memory connection, so no request may reach
    the server while the worker uses it: from `hold()` until `run()` has finished, the page's
    progress polls fail (as if the server were briefly away) and htmx simply polls again.
    """

    def __init__(self, page) -> None:
        self.holding = True
        page.route(re.compile(r"/import/\d+/progress/"), self._poll)

    def _poll(self, route) -> None:
        if self.holding:
            route.abort()
        else:
            route.continue_()

    def hold(self) -> None:
        self.holding = True

    def run(self) -> None:
        """Run every queued task, then let the page's polls through again."""
        assert self.holding, "hold() the polls before the page starts a job"
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="browser-test",
            excluded_queue_names=[],
        ).run()
        self.holding = False


def upload(page, path: Path) -> None:
    log_in(page, "t_admin")
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name=tr("Import"), exact=True).click()
    expect(page.locator("h1")).to_have_text(tr("Import a ledger from Excel"))
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Upload and check")).click()


def test_an_admin_imports_a_ledger_after_seeing_its_progress_and_preview(
    page, shot, ledger, tmp_path
):
    worker = PlayedWorker(page)
    upload(page, write_xlsx(tmp_path / "凌海北镇台账.xlsx", GOOD_ROWS))

    progress = page.locator("#import-progress")
    expect(progress).to_contain_text(str(ImportStatus.UPLOADED.label))
    expect(progress.get_by_role("progressbar")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("凌海北镇台账.xlsx")
    shot(page, "import-progress")

    worker.run()  # checks the file; the page's next poll takes it to the preview

    counts = page.locator(".import-counts")
    expect(counts).to_be_visible()
    expect(counts.locator(".figure").nth(0)).to_contain_text("2")  # rows read
    expect(counts.locator(".figure").nth(1)).to_contain_text("2")  # projects to create
    expect(counts.locator(".figure").nth(2)).to_contain_text("2")  # new enterprises
    expect(counts.locator(".figure").nth(4)).to_contain_text("0")  # errors
    expect(counts.locator(".figure").nth(5)).to_contain_text("1")  # columns ignored
    expect(page.locator(".import-unknown")).to_contain_text("备注")
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.nth(0)).to_contain_text("锦州港临港物流园项目")
    expect(preview.nth(0)).to_contain_text("凌海市")
    expect(preview.nth(0)).to_contain_text("35000")  # 3.5亿元 read as 万元
    expect(page.locator("table.import-mapping")).to_contain_text("总投资(亿元)")
    assert not Project.objects.filter(name="锦州港临港物流园项目").exists()
    shot(page, "import-preview")

    worker.hold()
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Import into the ledger")).click()
    expect(page.locator("#import-progress")).to_contain_text(str(ImportStatus.COMMITTING.label))

    worker.run()  # commits

    done = page.locator(".import-done")
    expect(done).to_be_visible()
    expect(done.locator("h2")).to_contain_text("2")
    shot(page, "import-done")
    assert ImportJob.objects.get().status == ImportStatus.COMMITTED

    with page.expect_navigation():
        done.get_by_role("link", name=tr("Open the ledger")).click()
    page.fill("#id_q", "临港物流园")
    page.wait_for_url(re.compile(r"q="))
    row = page.locator("#ledger-results table.ledger tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("锦州港临港物流园项目")
    expect(row).to_contain_text("锦州港临港物流有限公司")
    expect(row).to_contain_text("凌海市")
    expect(row).to_contain_text(tr(Stage.SIGNED.label))
    expect(row).to_contain_text("2023-03-23")
    shot(page, "import-in-ledger")


def test_a_bad_file_shows_every_wrong_cell_and_cannot_be_committed(page, shot, ledger, tmp_path):
    worker = PlayedWorker(page)
    upload(page, write_xlsx(tmp_path / "错误台账.xlsx", BAD_ROWS))
    expect(page.locator("#import-progress")).to_be_visible()

    worker.run()

    errors = page.locator("table.import-errors tbody tr")
    expect(errors.first).to_be_visible()
    found = [
        (cells[0].strip(), cells[1].strip().split()[0])
        for cells in (
            [errors.nth(i).locator("td").nth(c).inner_text() for c in range(2)]
            for i in range(errors.count())
        )
    ]
    # Row 2: the code's check digit, the region and the amount; row 3: no name, no such stage.
    for expected in [("2", "D"), ("2", "E"), ("2", "H"), ("3", "B"), ("3", "G")]:
        assert expected in found, found
    table = page.locator("table.import-errors")
    expect(table).to_contain_text("统一社会信用代码")
    expect(table).to_contain_text("火星区")
    expect(table).to_contain_text("很多")
    expect(table).to_contain_text("开会中")
    commit = page.get_by_role("button", name=tr("Import into the ledger"))
    expect(commit).to_be_disabled()
    expect(page.locator("form.import-commit .error")).to_be_visible()
    shot(page, "import-bad-file")
    assert not Project.objects.filter(name="锦州港临港物流园项目").exists()
