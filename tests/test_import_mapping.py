"""Another office's ledger with a region column headed 落户地点: the import asks once, on the
mapping screen (or by --map on the command line), and a saved mapping answers the next time."""

import io
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from guanjia.core.models import AuditEntry, ImportJob, ImportStatus, SheetMapping
from guanjia.core.sheets.mappings import save_mapping
from guanjia.projects.models import Project
from guanjia.testing.factories import UserFactory

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
        return client.post(reverse("projects:import_start"), {"file": f})


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
    page = client.get(reverse("projects:import_job", args=[job.pk])).content.decode()
    assert "落户地点" in page and "凌海市" in page  # the header and its first cells
    assert 'value="region" selected' in page
    assert "Save this mapping for my office (凌海市)" in page

    data = {**answers(job), "save": "on", "name": "凌海台账"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:import_mapping", args=[job.pk]), data)
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
    page = client.get(reverse("projects:import_job", args=[job.pk])).content.decode()
    assert "甲项目" in page  # the preview

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("projects:import_commit", args=[job.pk]))
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
    page = client.get(reverse("projects:import_job", args=[second.pk])).content.decode()
    assert "Mapped with saved mapping «凌海台账»" in page
    assert reverse("projects:import_mapping", args=[second.pk]) in page
    reopened = client.get(reverse("projects:import_mapping", args=[second.pk]))
    assert reopened.status_code == 200 and 'value="region" selected' in reopened.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("projects:import_commit", args=[second.pk]))
    assert Project.objects.count() == 6


# --- The command line ----------------------------------------------------------------------


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import-projects", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_stops_on_an_unknown_region_header_and_says_what_to_pass(tmp_path, linghai):
    path = another_office(tmp_path / "凌海台账.xlsx")

    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import-projects", str(path), stdout=io.StringIO(), stderr=err)

    assert failed.value.returncode == 2
    printed = err.getvalue()
    assert "“落户地点” → Region (region): 4 of 4 cells are area names" in printed
    assert "--map '落户地点=region'" in printed and "--map '备注=-'" in printed
    assert Project.objects.count() == 0


def test_the_command_imports_with_map_arguments(tmp_path, linghai):
    path = another_office(tmp_path / "凌海台账.xlsx")

    out, _err = run_command(str(path), "--map", "落户地点=region", "--map", "备注=-")

    assert "Imported 4 projects" in out
    assert set(Project.objects.values_list("region", flat=True)) == {linghai.pk}


def test_an_unknown_field_in_map_lists_the_fields(tmp_path, linghai):
    path = another_office(tmp_path / "凌海台账.xlsx")

    with pytest.raises(CommandError) as failed:
        run_command(str(path), "--map", "落户地点=regoin")

    assert failed.value.returncode == 2
    assert "no field is called “regoin”" in str(failed.value)
    assert "region" in str(failed.value)


def test_the_command_saves_and_uses_a_template(tmp_path, users, linghai):
    path = another_office(tmp_path / "凌海台账.xlsx")

    out, _err = run_command(
        str(path),
        "--user",
        "t_official",
        "--dry-run",
        "--map",
        "落户地点=region",
        "--save-template",
        "凌海台账",
    )
    assert "Mapping saved as «凌海台账»" in out
    saved = SheetMapping.objects.get()
    assert saved.owner_region == linghai and saved.mapping["落户地点"] == "region"

    # The same office's sheet with one more column: the template still maps the rest.
    rows = [[*row, "说明"] for row in office_rows()]
    other = tmp_path / "凌海台账-新.xlsx"
    workbook = xlsxwriter.Workbook(str(other))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [*HEADERS, "补充说明"])
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    workbook.close()
    out, _err = run_command(str(other), "--user", "t_official", "--template", "凌海台账")

    assert "Mapped with saved mapping «凌海台账»" in out and "Imported 4 projects" in out

    with pytest.raises(CommandError):
        run_command(str(other), "--user", "t_official", "--template", "没有这个")


# --- Who sees what ---------------------------------------------------------------------------


def test_a_district_officials_mapping_is_not_another_districts(
    client, users, linghai, heishan, tmp_path, django_capture_on_commit_callbacks
):
    official = users["official"]  # 凌海市
    save_mapping(
        "ledger",
        [*HEADERS],
        {"落户地点": "region", "备注": None},
        official,
        "凌海台账",
        owner="office",
    )
    neighbour = UserFactory(username="t_heishan", role=official.role, region=heishan)
    client.force_login(neighbour)
    rows = [[*row[:3], "黑山县", *row[4:]] for row in office_rows()]

    upload(
        client, another_office(tmp_path / "黑山台账.xlsx", rows), django_capture_on_commit_callbacks
    )

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.NEEDS_MAPPING and not job.result["saved_mapping"]
    assert (
        "凌海台账" not in client.get(reverse("projects:import_job", args=[job.pk])).content.decode()
    )


def test_the_mapping_screen_is_its_owners_only(
    client, users, linghai, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(users["official"])
    upload(client, another_office(tmp_path / "凌海台账.xlsx"), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    url = reverse("projects:import_mapping", args=[job.pk])
    assert client.get(url).status_code == 200

    client.force_login(users["admin"])
    assert client.get(url).status_code == 404
    assert client.post(url, answers(job)).status_code == 404
    assert client.get(reverse("projects:import_job", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.NEEDS_MAPPING and job.mapping is None


def test_wrong_answers_are_named_and_nothing_is_checked(
    client, users, linghai, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(users["official"])
    upload(client, another_office(tmp_path / "凌海台账.xlsx"), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()

    response = client.post(
        reverse("projects:import_mapping", args=[job.pk]), answers(job, D="-", E="name")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "both mean “Project name”" in page
    assert "no column is read as “Region”" in page
    job.refresh_from_db()
    assert job.status == ImportStatus.NEEDS_MAPPING and not SheetMapping.objects.exists()


def test_a_known_office_header_maps_without_asking(
    client, users, linghai, tmp_path, django_capture_on_commit_callbacks
):
    """建设地点 is one of the headers other offices use for the region (headers.EXTRA_ALIASES)."""
    client.force_login(users["official"])
    rows = [[*row[:6]] for row in office_rows()]
    path = tmp_path / "建设地点.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write(0, 0, TITLE)
    sheet.write_row(1, 0, ["序号", "项目名称", "项目单位", "建设地点", "总投资(万元)", "备注"])
    for r, row in enumerate(rows, start=2):
        sheet.write_row(r, 0, row)
    workbook.close()

    upload(client, path, django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.VALIDATED and job.counts["to_create"] == 4
