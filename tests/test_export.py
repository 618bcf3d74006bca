"""Exporting the ledger to .xlsx: content, formats, filters, scope, and the round trip."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from python_calamine import CalamineWorkbook

from guanjia.projects.exporters import export_projects
from guanjia.projects.importers import COLUMNS as IMPORT_COLUMNS
from guanjia.projects.importers import run_import
from guanjia.projects.models import Level, Project
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The users fixture hashes six passwords; the default hasher makes that seconds each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The assertions read the English msgids, whatever the Chinese catalogue says.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ledger(linghai, heishan, industries):
    steward = UserFactory(username="wang", display_name="王管家")
    coke = ProjectFactory(
        name="40万吨/年针状焦项目",
        enterprise=EnterpriseFactory(name="中国石油锦州石化分公司"),
        region=linghai,
        industry=industries["石化及精细化工"],
        level=Level.PROVINCIAL,
        stage=Stage.CONSTRUCTION,
        total_investment_wan=Decimal("350000.5"),
        plan_year=2023,
        planned_investment_year_wan=Decimal("120000"),
        completed_investment_year_wan=Decimal("30000.1234"),
        funds_in_place_wan=Decimal("50000"),
        signed_on=dt.date(2023, 3, 1),
        construction_on=dt.date(2023, 3, 24),
        steward=steward,
        construction_content="针状焦装置 & 配套 <公用工程>",
    )
    wind = ProjectFactory(
        name="黑山400MW风电项目",
        enterprise=EnterpriseFactory(name="国家电投东北公司", credit_code=None),
        region=heishan,
        stage=Stage.SIGNED,
        signed_on=dt.date(2023, 3, 23),
        total_investment_wan=Decimal("268000"),
    )
    return {"coke": coke, "wind": wind}


def read(source) -> list[list]:
    book = CalamineWorkbook.from_object(source)
    return book.get_sheet_by_index(0).to_python()


def by_header(rows: list[list]) -> list[dict]:
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_it_writes_one_chinese_header_row_the_importer_recognises(ledger, tmp_path):
    path = tmp_path / "ledger.xlsx"

    count = export_projects(Project.objects.order_by("id"), path)

    rows = read(path)
    assert count == 2 and len(rows) == 3
    assert rows[0][:8] == [
        "项目名称",
        "企业名称",
        "统一社会信用代码",
        "所属县区",
        "产业类别",
        "项目级别",
        "当前阶段",
        "总投资(万元)",
    ]
    assert set(rows[0]) <= {c.canonical for c in IMPORT_COLUMNS}


def test_amounts_are_numbers_and_dates_are_dates(ledger, tmp_path):
    path = tmp_path / "ledger.xlsx"
    export_projects(Project.objects.order_by("id"), path)

    coke, wind = by_header(read(path))

    assert coke["项目名称"] == "40万吨/年针状焦项目"
    assert coke["统一社会信用代码"] == ledger["coke"].enterprise.credit_code
    assert (coke["所属县区"], coke["产业类别"]) == ("凌海市", "石化及精细化工")
    assert (coke["项目级别"], coke["当前阶段"]) == ("省重点", "开工")
    assert coke["总投资(万元)"] == 350000.5
    assert coke["本年完成投资(万元)"] == 30000.1234
    assert coke["计划年度"] == 2023
    assert coke["签约时间"] == dt.date(2023, 3, 1)
    assert coke["开工时间"] == dt.date(2023, 3, 24)
    assert coke["项目管家"] == "王管家"
    assert coke["建设内容"] == "针状焦装置 & 配套 <公用工程>"
    assert (wind["统一社会信用代码"], wind["开工时间"], wind["当前阶段"]) == ("", "", "签约")


def test_the_header_is_frozen_filtered_and_formatted(ledger, tmp_path):
    path = tmp_path / "ledger.xlsx"
    export_projects(Project.objects.order_by("id"), path)

    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()

    assert 'state="frozen"' in sheet and 'ySplit="1"' in sheet
    assert re.search(r'<autoFilter ref="A1:[A-Z]+3"/>', sheet)
    assert "<cols>" in sheet and 'width="36.7' in sheet  # the project name column is wide
    assert 'formatCode="#,##0.00"' in styles and 'formatCode="yyyy-mm-dd"' in styles


def test_an_empty_ledger_exports_just_the_header(regions, tmp_path):
    path = tmp_path / "empty.xlsx"

    assert export_projects(Project.objects.none(), path) == 0
    assert len(read(path)) == 1


def test_it_writes_to_a_file_object_too(ledger):
    buffer = io.BytesIO()

    export_projects(Project.objects.order_by("id"), buffer)

    buffer.seek(0)
    assert len(read(buffer)) == 3


def test_an_exported_ledger_imports_back_as_nothing_but_duplicates(ledger, tmp_path):
    path = tmp_path / "ledger.xlsx"
    export_projects(Project.objects.all(), path)

    result = run_import(path)

    assert result.ok, result.errors
    assert (result.created, len(result.duplicates), result.unknown_columns) == (0, 2, [])
    assert Project.objects.count() == 2


def test_an_exported_ledger_imports_into_an_empty_one_with_the_same_facts(ledger, tmp_path):
    path = tmp_path / "ledger.xlsx"
    export_projects(Project.objects.all(), path)
    Project.objects.all().delete()

    result = run_import(path)

    assert result.ok, result.errors
    assert result.created == 2 and result.new_enterprises == 0
    coke = Project.objects.get(name="40万吨/年针状焦项目")
    assert coke.total_investment_wan == Decimal("350000.5")
    assert coke.completed_investment_year_wan == Decimal("30000.1234")
    assert (coke.stage, coke.construction_on, coke.level) == (
        Stage.CONSTRUCTION,
        dt.date(2023, 3, 24),
        Level.PROVINCIAL,
    )
    assert coke.steward.username == "wang"


# --- The download -------------------------------------------------------------------------------


def test_the_download_applies_the_ledger_filters(client, users, ledger):
    client.force_login(users["admin"])

    response = client.get(reverse("projects:export"), {"region": "210726"})

    assert response.status_code == 200
    rows = read(io.BytesIO(b"".join(response.streaming_content)))
    assert [r[0] for r in rows[1:]] == ["黑山400MW风电项目"]


def test_the_download_is_named_for_today_in_rfc_5987_form(client, users, ledger):
    client.force_login(users["admin"])

    response = client.get(reverse("projects:export"))

    name = f"项目台账-{dt.date.today():%Y%m%d}.xlsx"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote(name)}" in disposition
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_the_download_holds_only_what_the_user_may_see(client, users, ledger):
    client.force_login(users["official"])  # 凌海市

    response = client.get(reverse("projects:export"))

    rows = read(io.BytesIO(b"".join(response.streaming_content)))
    assert [r[0] for r in rows[1:]] == ["40万吨/年针状焦项目"]


def test_a_read_only_leader_may_export_what_they_see(client, users, ledger):
    client.force_login(users["leader"])

    response = client.get(reverse("projects:export"), {"sort": "name"})

    assert response.status_code == 200
    assert len(read(io.BytesIO(b"".join(response.streaming_content)))) == 3


def test_the_download_needs_a_login(client):
    response = client.get(reverse("projects:export"))

    assert response.status_code == 302


# --- The command --------------------------------------------------------------------------------


def test_the_command_exports_everything(ledger, tmp_path):
    out = io.StringIO()
    path = tmp_path / "all.xlsx"

    call_command("export-projects", str(path), stdout=out)

    assert "Wrote 2 projects" in out.getvalue()
    assert len(read(path)) == 3


def test_the_command_filters_by_region_and_stage(ledger, tmp_path):
    path = tmp_path / "some.xlsx"

    call_command(
        "export-projects", str(path), "--region", "210781", "--stage", "开工", stdout=io.StringIO()
    )
    assert [r[0] for r in read(path)[1:]] == ["40万吨/年针状焦项目"]

    call_command(
        "export-projects",
        str(path),
        "--region",
        "黑山县",
        "--stage",
        "construction",
        stdout=io.StringIO(),
    )
    assert read(path)[1:] == []


def test_the_command_refuses_an_unknown_region_or_stage(ledger, tmp_path):
    with pytest.raises(CommandError, match="火星"):
        call_command("export-projects", str(tmp_path / "x.xlsx"), "--region", "火星")
    with pytest.raises(CommandError, match="筹备"):
        call_command("export-projects", str(tmp_path / "x.xlsx"), "--stage", "筹备")


def test_the_command_can_export_what_one_user_sees(ledger, users, tmp_path):
    path = tmp_path / "official.xlsx"

    call_command("export-projects", str(path), "--user", "t_official", stdout=io.StringIO())

    assert [r[0] for r in read(path)[1:]] == ["40万吨/年针状焦项目"]
