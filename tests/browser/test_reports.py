"""Reports in a browser, on a phone: an area official asks for last week's report, the list
polls until the worker has made it, and the PDF downloads."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from guanjia.reports import services
from guanjia.reports.models import Report, ReportStatus

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_generates_a_report_and_the_list_polls_until_ready(
    live_server, phone, shot, settings, tmp_path, users, linghai
):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path  # the default (database) task backend: no worker
    log_in(phone, "t_official")
    phone.goto("/reports/")
    phone.locator("#generate summary").click()
    phone.select_option("#id_kind", "weekly")
    phone.fill("#id_day", "2023-03-22")
    phone.select_option("#id_area", str(linghai.pk))
    with phone.expect_navigation():
        phone.get_by_role("button", name=tr("Generate"), exact=True).click()
    results = phone.locator("#report-results")
    expect(results).to_contain_text(tr("Queued"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "reports-queued-phone")

    report = Report.objects.get()
    assert (report.region, report.period_start) == (linghai, dt.date(2023, 3, 20))
    services.generate(report.pk)  # what the worker does
    assert Report.objects.get().status == ReportStatus.DONE

    # The list asks again every few seconds and shows the downloads without a reload.
    expect(results.get_by_role("link", name="PDF")).to_be_visible(timeout=10_000)
    expect(results).to_contain_text(tr("Ready"))
    shot(phone, "reports-ready-phone")
    with phone.expect_download() as download:
        results.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith("-20230320-20230326.pdf")
