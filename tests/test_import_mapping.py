"""Another office's ledger with a region column headed 落户地点: the import asks once, on the
mapping screen (or by --map on the command line), and a saved mapping answers the next time."""

from pathlib import Path

import pytest
import xlsxwriter
from django.urls import reverse

from guanjia.core.models import AuditEntry, ImportJob, ImportStatus, SheetMapping
from guanjia.projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"  # the assertions read the English msgids
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


TITLE = "2024年凌海市重点项目台账"
HEADERS = ["序号", "项目名称", "企业名称", "落户地点", "总投资(万元)", "备注", "对接人"]


def office_rows(names: tuple[str, ...] = ("甲", "乙", "丙", "丁")) -> list[list[object]]:
    areas = ["凌海市", "凌海", "凌海市", "凌海市"]
    return [
        [i + 1, f"{n}项目", f"锦州{n}有限公司", areas[i % 4], 1000 * (i + 1), "请核实", ""]
        for i, n in enumerate(names)
    ]


def another_office(path: Path, rows: list[list[object]] | None = None) -> Path:
    """A ledger as another office keeps it: a title row, then headers we partly do not know."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    sheet.write(0, 0, TITLE)
    sheet.write_row(1, 0, HEADERS)
    for r, row in enumerate(rows or office_rows(), start=2):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, value)
    workbook.close()
    return path


def upload(client, path: Path, capture):
    with path.open("rb") as f, capture(execute=True):
        return client.post(reverse("ledger:import_start"), {"file": f})


def answers(job: ImportJob, **changes: str) -> dict[str, str]:
    """The mapping screen's form as proposed, with `changes` {column letter: field or -}."""
    data = {}
    for column in job.result["review"]["columns"]:
        letter = column_letter(column["index"])
        data[f"col-{column['index']}"] = changes.get(letter, column["field"] or "-")
    return data


def column_letter(index: int) -> str:
    from guanjia.core.sheets import column_letter as letter

    return letter(index)


def test_an_unknown_region_header_asks_once_and_the_saved_mapping_answers_next_time(
    client, users, linghai, tmp_path, django_capture_on_commit_callbacks
):
    official = users["official"]
    client.force_login(official)
    upload(client, another_office(tmp_path / "凌海台账.xlsx"), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.NEEDS_MAPPING
    review = {c["header"]: c for c in job.result["review"]["columns"]}
    assert review["落户地点"]["field"] == "region" and review["落户地点"]["how"] == "proposed"
    assert "4 of 4" in review["落户地点"]["evidence"]
    assert review["备注"]["field"] is None
    assert review["项目名称"]["how"] == "header"
    page = client.get(reverse("ledger:import_job", args=[job.pk])).content.decode()
    assert "落户地点" in page and "凌海市" in page  # the header and its first cells
    assert 'value="region" selected' in page
    assert "Save this mapping for my office (凌海市)" in page

    data = {**answers(job), "save": "on", "name": "凌海台账"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:import_mapping", args=[job.pk]), data)
    assert response.status_code == 302

    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED, job.result
    assert job.mapping["落户地点"] == "region" and job.mapping["备注"] is None
    assert job.counts["to_create"] == 4 and job.counts["errors"] == 0
    saved = SheetMapping.objects.get()
    assert (saved.name, saved.owner_region, saved.mapping["落户地点"]) == (
        "凌海台账",
        linghai,
        "region",
    )
    assert AuditEntry.objects.filter(
        object_type="core.sheetmapping", object_id=str(saved.pk), actor=official
    ).exists()
    page = client.get(reverse("ledger:import_job", args=[job.pk])).content.decode()
    assert "甲项目" in page  # the preview

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledger:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED and job.counts["created"] == 4
    assert set(Project.objects.values_list("region", flat=True)) == {linghai.pk}
    imported = AuditEntry.objects.filter(action="import", object_type="projects.project")
    assert imported.count() == 4 and {e.actor for e in imported} == {official}

    # The next month's file from the same office: no questions.
    upload(
        client,
        another_office(tmp_path / "凌海台账-2.xlsx", office_rows(("戊", "己"))),
        django_capture_on_commit_callbacks,
    )
    second = ImportJob.objects.exclude(pk=job.pk).get()
    assert second.status == ImportStatus.VALIDATED, second.result
    assert second.result["saved_mapping"] == "凌海台账"
    page = client.get(reverse("ledger:import_job", args=[second.pk])).content.decode()
    assert "Mapped with saved mapping «凌海台账»" in page
    assert reverse("ledger:import_mapping", args=[second.pk]) in page
    reopened = client.get(reverse("ledger:import_mapping", args=[second.pk]))
    assert reopened.status_code == 200 and 'value="region" selected' in reopened.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledger:import_commit", args=[second.pk]))
    assert Project.objects.count() == 6
