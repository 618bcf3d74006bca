"""Another office's ledger in a browser: its region column is headed 落户地点, so the import
asks on the mapping screen; the user changes one column, confirms, and sees the preview."""

import pytest
import xlsxwriter
from django.urls import reverse
from playwright.sync_api import expect

from guanjia.core.models import ImportJob, ImportStatus, SheetMapping

from .conftest import log_in, tr
from .test_import import PlayedWorker, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["序号", "项目名称", "企业名称", "落户地点", "总投资(万元)", "情况介绍"]
ROWS = [
    [1, "锦州港临港物流园项目", "锦州港临港物流有限公司", "凌海市", 35000, "新建仓储物流园"],
    [2, "北镇葡萄精深加工项目", "北镇市鑫源果业有限公司", "北镇市", 8000, "葡萄酒生产线"],
    [3, "黑山风电三期项目", "国家电投东北公司", "黑山县", 120000, "风电场"],
]


def another_office(path):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    sheet.write(0, 0, "2024年重点项目推进台账")
    sheet.write_row(1, 0, HEADERS)
    for r, row in enumerate(ROWS, start=2):
        sheet.write_row(r, 0, row)
    workbook.close()
    return path


def test_an_unknown_column_is_mapped_on_the_mapping_screen(page, shot, ledger, tmp_path):
    worker = PlayedWorker(page)
    upload(page, another_office(tmp_path / "外地台账.xlsx"))
    worker.run()  # checks the file: 落户地点 is unknown, so the job asks

    page.reload()
    expect(page.locator("h2").first).to_have_text(tr("Confirm the columns"))
    region = page.locator("tr[data-column=D]")
    expect(region).to_contain_text("落户地点")
    expect(region).to_contain_text("凌海市")  # a sample cell
    expect(region.locator("select")).to_have_value("region")  # proposed from the cells
    expect(region.locator(".import-mapping-evidence")).to_contain_text("3")
    shot(page, "import-mapping")

    # The clerk knows 情况介绍 is what the ledger calls the construction content.
    page.locator("tr[data-column=F] select").select_option("construction_content")
    expect(page.locator("#id_save")).to_be_checked()
    page.fill("#id_name", "外地台账")
    worker.hold()
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Check the file with these columns")).click()
    worker.run()

    page.reload()
    expect(page.locator(".import-mapped-by")).to_be_visible()
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(0)).to_contain_text("凌海市")
    expect(page.locator("table.import-mapping")).to_contain_text("情况介绍")
    shot(page, "import-mapped-preview")
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.VALIDATED
    assert job.mapping["情况介绍"] == "construction_content"
    assert SheetMapping.objects.get().name == "外地台账"


def test_the_mapping_screen_fits_a_phone(phone, shot, ledger, tmp_path):
    worker = PlayedWorker(phone)
    log_in(phone, "t_admin")
    phone.goto(reverse("projects:import_start"))
    phone.set_input_files("#id_file", str(another_office(tmp_path / "外地台账.xlsx")))
    with phone.expect_navigation():
        phone.get_by_role("button", name=tr("Upload and check")).click()
    worker.run()

    phone.reload()
    expect(phone.locator("tr[data-column=D] select")).to_have_value("region")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "import-mapping-phone")
