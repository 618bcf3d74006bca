"""Importing another office's ledger: mapping, checking, duplicates, the command and the pages."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xlsxwriter
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.urls import reverse

from guanjia.core import files
from guanjia.core.audit import snapshot
from guanjia.core.models import AuditEntry, ImportJob, ImportStatus
from guanjia.enterprises.models import Enterprise
from guanjia.projects.importers import run_import
from guanjia.projects.models import Level, Project, StageChange
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The users fixture hashes six passwords; the default hasher makes that seconds each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The assertions read the English msgids, whatever the Chinese catalogue says.
    settings.LANGUAGE_CODE = "en"


HEADERS = [
    "项目名称",
    "企业名称",
    "统一社会信用代码",
    "所属县区",
    "产业类别",
    "当前阶段",
    "总投资(亿元)",
    "签约时间",
    "开工时间",
    "项目级别",
]
CODE_A = credit_code("210781", 7001)
CODE_B = credit_code("210726", 7002)


def write_xlsx(path: Path, rows: list[list], *, sheet: str = "台账", merge: str = "") -> Path:
    """A spreadsheet as an office makes one: strings, numbers and real date cells."""
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                worksheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, int | float):
                worksheet.write_number(r, c, value)
            else:
                worksheet.write_string(r, c, value)
    if merge:
        cell_range, value = merge.split("=")
        worksheet.merge_range(cell_range, value)
    workbook.close()
    return path


def write_ods(path: Path, rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice or WPS saves one."""

    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="台账">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


def good_rows() -> list[list]:
    return [
        HEADERS,
        [
            "40万吨/年针状焦项目",
            "中国石油锦州石化分公司",
            CODE_A,
            "凌海市",
            "石化",
            "开工",
            3.5,
            dt.date(2023, 3, 1),
            dt.date(2023, 3, 24),
            "省重点",
        ],
        [
            "黑山400MW风电项目",
            "国家电投东北公司",
            CODE_B,
            "黑山",
            "风电",
            "签约",
            "26.8亿元",
            "2023/3/23",
            None,
            "市重点",
        ],
        ["动力电池材料项目", "宁德时代", None, "210711", "新能源", "在谈", 12, None, None, None],
    ]


@pytest.fixture
def good_file(tmp_path, regions, industries):
    return write_xlsx(tmp_path / "台账.xlsx", good_rows())


def errors_at(result) -> dict[tuple[int, str], str]:
    return {(e.row, e.column): e.reason for e in result.errors}


# --- A good file --------------------------------------------------------------------------------


def test_a_good_file_imports_every_row_converting_yi_to_wan(good_file):
    result = run_import(good_file)

    assert result.ok and result.committed
    assert (result.rows, result.created, len(result.duplicates)) == (3, 3, 0)
    coke = Project.objects.get(name="40万吨/年针状焦项目")
    assert coke.total_investment_wan == Decimal("35000")  # 3.5亿元
    wind = Project.objects.get(name="黑山400MW风电项目")
    assert wind.total_investment_wan == Decimal("268000")  # "26.8亿元" in the cell
    battery = Project.objects.get(name="动力电池材料项目")
    assert battery.total_investment_wan == Decimal("120000")


def test_it_sets_stage_dates_region_industry_and_level(good_file, linghai, heishan, industries):
    run_import(good_file)

    coke = Project.objects.get(name="40万吨/年针状焦项目")
    assert coke.stage == Stage.CONSTRUCTION
    assert coke.signed_on == dt.date(2023, 3, 1)
    assert coke.construction_on == dt.date(2023, 3, 24)
    assert coke.region == linghai
    assert coke.industry == industries["石化及精细化工"]
    assert coke.level == Level.PROVINCIAL
    wind = Project.objects.get(name="黑山400MW风电项目")
    assert (wind.stage, wind.signed_on, wind.region) == (
        Stage.SIGNED,
        dt.date(2023, 3, 23),
        heishan,
    )
    assert wind.industry == industries["新能源"] and wind.level == Level.MUNICIPAL
    battery = Project.objects.get(name="动力电池材料项目")
    assert battery.stage == Stage.NEGOTIATING and battery.level == Level.GENERAL
    assert battery.negotiating_on is not None  # today: the row gives no date


def test_it_creates_enterprises_once_and_records_history_and_audit(good_file):
    result = run_import(good_file)

    assert result.new_enterprises == 3
    assert Enterprise.objects.get(credit_code=CODE_A).name == "中国石油锦州石化分公司"
    assert Enterprise.objects.get(name="宁德时代").credit_code is None
    coke = Project.objects.get(name="40万吨/年针状焦项目")
    change = StageChange.objects.get(project=coke)
    assert (change.to_stage, change.effective_on) == (Stage.CONSTRUCTION, dt.date(2023, 3, 24))
    entries = AuditEntry.objects.filter(action="import", object_type="projects.project")
    assert entries.count() == 3
    assert entries.get(object_id=str(coke.pk)).after == snapshot(coke)
    assert entries.get(object_id=str(coke.pk)).after["total_investment_wan"] == "35000.0000"
    enterprise = Enterprise.objects.get(credit_code=CODE_A)
    assert AuditEntry.objects.get(
        action="import", object_id=str(enterprise.pk), object_type="enterprises.enterprise"
    ).after == snapshot(enterprise)


def test_existing_enterprises_are_matched_by_code_then_by_name(good_file):
    by_code = EnterpriseFactory(name="锦州石化", credit_code=CODE_A)
    by_name = EnterpriseFactory(name="宁德时代", credit_code=None)

    result = run_import(good_file)

    assert result.new_enterprises == 1
    assert Project.objects.get(name="40万吨/年针状焦项目").enterprise == by_code
    assert Project.objects.get(name="动力电池材料项目").enterprise == by_name
    assert Enterprise.objects.count() == 3


def test_the_header_row_may_sit_under_a_title_and_a_sheet_may_be_named(tmp_path, good_file):
    rows = [["2023年锦州市重点项目台账"], ["填报单位：凌海市"], *good_rows()]
    path = write_xlsx(tmp_path / "titled.xlsx", rows, sheet="重点项目")

    result = run_import(path, commit=False, sheet="重点项目")

    assert result.header_row == 3
    assert result.ok and result.to_create == 3
    assert Project.objects.count() == 0  # validating writes nothing


def test_a_missing_sheet_is_named_with_the_sheets_there_are(good_file):
    result = run_import(good_file, sheet="不存在")

    assert not result.ok
    assert "不存在" in result.file_errors[0] and "台账" in result.file_errors[0]


def test_an_ods_file_imports_too(tmp_path, regions, industries):
    path = write_ods(tmp_path / "台账.ods", good_rows())

    result = run_import(path)

    assert result.created == 3
    assert Project.objects.get(name="40万吨/年针状焦项目").construction_on == dt.date(2023, 3, 24)


def test_an_old_xls_file_from_another_office_imports(heishan, industries):
    path = Path(__file__).parent / "data" / "another-office.xls"

    result = run_import(path)

    assert result.ok, result.errors
    assert (result.header_row, result.created) == (2, 2)
    wind = Project.objects.get(name="黑山风电二期")
    assert (wind.total_investment_wan, wind.signed_on) == (Decimal("125000"), dt.date(2023, 3, 23))
    assert (wind.region, wind.stage, wind.industry.name) == (heishan, Stage.SIGNED, "新能源")
    straw = Project.objects.get(name="秸秆综合利用项目")
    assert straw.total_investment_wan == Decimal("8000")  # "8000万元" overrides the 亿元 header
    assert straw.stage == Stage.NEGOTIATING


def test_a_region_merged_down_several_rows_applies_to_each(tmp_path, linghai):
    rows = [
        ["项目名称", "企业名称", "所属县区"],
        ["甲项目", "甲公司", None],
        ["乙项目", "乙公司", None],
    ]
    path = write_xlsx(tmp_path / "merged.xlsx", rows, merge="C2:C3=凌海市")

    result = run_import(path)

    assert result.created == 2
    assert set(Project.objects.values_list("region", flat=True)) == {linghai.pk}


def test_total_rows_are_skipped_not_reported_as_errors(tmp_path, regions):
    rows = [
        ["项目名称", "企业名称", "所属县区", "总投资(万元)"],
        ["甲项目", "甲公司", "凌海", 100],
        ["合  计", None, None, 100],
    ]
    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert result.ok and result.created == 1
    assert "3" in result.skipped[0]


# --- Another office's headers -------------------------------------------------------------------


def test_another_offices_headers_are_understood(tmp_path, linghai, industries):
    rows = [
        [
            "名称",
            "投资主体",
            "信用代码",
            "所在地区",
            "行业",
            "项目进度",
            "总投资额\n（万元）",
            "签约日期",
            "级别",
            "本年计划投资(亿元)",
            "到位资金",
        ],
        [
            "锦州九泰原料药项目",
            "锦州九泰药业",
            CODE_A,
            "凌海",
            "医药",
            "已签约",
            8000,
            "2023年3月29日",
            "一般",
            0.5,
            "3000",
        ],
    ]
    result = run_import(write_xlsx(tmp_path / "另一个局.xlsx", rows))

    assert result.ok, result.errors
    assert {m.key for m in result.mapping} >= {
        "name",
        "enterprise",
        "credit_code",
        "region",
        "industry",
        "stage",
        "total_investment_wan",
        "signed_on",
        "level",
        "planned_investment_year_wan",
        "funds_in_place_wan",
    }
    project = Project.objects.get()
    assert project.enterprise.name == "锦州九泰药业"
    assert project.total_investment_wan == Decimal("8000")  # the header said 万元
    assert project.planned_investment_year_wan == Decimal("5000")  # 0.5亿元
    assert project.funds_in_place_wan == Decimal("3000")  # no unit: 万元
    assert project.plan_year == dt.date.today().year
    assert project.signed_on == dt.date(2023, 3, 29)
    assert (project.stage, project.industry.name) == (Stage.SIGNED, "生物医药")


def test_unknown_columns_are_reported_and_ignored(tmp_path, regions):
    rows = [
        ["序号", "项目名称", "企业名称", "所属县区", "备注2"],
        [1, "甲项目", "甲公司", "凌海", "请核实"],
    ]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert result.ok and result.created == 1
    assert [(u.letter, u.header) for u in result.unknown_columns] == [("E", "备注2")]
    assert str(result.unknown_columns[0]) == "column E “备注2” not recognised, ignored"
    assert ("A", "") in [(m.letter, m.key) for m in result.mapping]  # 序号: shown, not imported


def test_values_under_an_empty_header_are_reported_too(tmp_path, regions):
    rows = [["项目名称", "企业名称", "所属县区"], ["甲项目", "甲公司", "凌海", None, "请核实"]]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert result.ok and result.created == 1
    assert [str(u) for u in result.unknown_columns] == [
        "column E has values but no header; ignored"
    ]


def test_a_missing_required_column_refuses_the_whole_file(tmp_path, regions):
    rows = [["项目名称", "企业名称", "总投资(万元)"], ["甲项目", "甲公司", 100]]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert not result.ok and not result.committed
    assert any("所属县区" in message for message in result.file_errors)
    assert Project.objects.count() == 0


def test_two_columns_meaning_the_same_are_refused_rather_than_guessed(tmp_path, regions):
    rows = [["项目名称", "名称", "企业名称", "所属县区"], ["甲项目", "甲", "甲公司", "凌海"]]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert not result.ok
    assert "A" in result.file_errors[0] and "B" in result.file_errors[0]


def test_an_amount_header_with_a_strange_unit_refuses_the_file(tmp_path, regions):
    rows = [
        ["项目名称", "企业名称", "所属县区", "总投资(万美元)"],
        ["甲项目", "甲公司", "凌海", 100],
    ]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert not result.ok and "万美元" in result.file_errors[0]


def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path, regions):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(b"this is not a spreadsheet")

    result = run_import(path)

    assert not result.ok and "could not be read" in result.file_errors[0]


# --- Bad cells ----------------------------------------------------------------------------------


def bad_rows() -> list[list]:
    bad_code = CODE_A[:-1] + ("0" if CODE_A[-1] != "0" else "1")
    return [
        ["2023年项目台账"],
        HEADERS,
        [
            "好项目",
            "好企业",
            credit_code("210781", 7101),
            "凌海市",
            "新能源",
            "签约",
            1,
            dt.date(2023, 3, 1),
            None,
            None,
        ],  # row 3 is fine
        ["金额错", "企业甲", None, "凌海市", None, "签约", "很多", None, None, None],  # row 4
        ["地区错", "企业乙", None, "火星区", None, "签约", 1, None, None, None],  # row 5
        [
            "阶段错",
            "企业丙",
            None,
            "凌海市",
            None,
            "筹备中",
            1,
            dt.date(2023, 3, 1),
            None,
            None,
        ],  # row 6
        ["日期错", "企业丁", None, "凌海市", None, "签约", 1, "2023-13-45", None, None],  # row 7
        ["代码错", "企业戊", bad_code, "凌海市", None, "签约", 1, None, None, None],  # row 8
        [None, "企业己", None, "凌海市", None, "签约", 1, None, None, None],  # row 9
        ["级别错", "企业庚", None, "凌海市", None, "签约", 1, None, None, "国家级"],  # row 10
        ["老地名", "企业辛", None, "锦县", None, "签约", 1, None, None, None],  # row 11
        [
            "日期超前",
            "企业壬",
            None,
            "凌海市",
            None,
            "在谈",
            1,
            dt.date(2023, 3, 1),
            None,
            None,
        ],  # row 12: a negotiating project has not been signed
        [
            "开工早于签约",
            "企业癸",
            None,
            "凌海市",
            None,
            "开工",
            1,
            dt.date(2023, 3, 1),
            dt.date(2023, 2, 1),
            None,
        ],  # row 13
    ]


def test_every_bad_cell_is_reported_with_row_column_and_reason(tmp_path, regions, industries):
    result = run_import(write_xlsx(tmp_path / "bad.xlsx", bad_rows()))

    found = errors_at(result)
    assert "“很多” is not an amount" in found[(4, "G")]
    assert "no region is called “火星区”" in found[(5, "D")]
    assert "“筹备中” is not a stage" in found[(6, "F")] and (6, "H") not in found
    assert "“2023-13-45” is not a real date" in found[(7, "H")]
    assert "check digit" in found[(8, "C")]
    assert "required" in found[(9, "A")]
    assert "“国家级” is not a level" in found[(10, "J")]
    assert "abolished" in found[(11, "D")] and "凌海市" in found[(11, "D")]
    assert "clear this date or correct the stage" in found[(12, "H")]
    assert "before 签约时间" in found[(13, "I")]
    assert 3 not in {row for row, _column in found}
    assert result.error_rows == 10
    error = next(e for e in result.errors if (e.row, e.column) == (4, "G"))
    assert str(error).startswith("row 4, column G “总投资(亿元)”:")


def test_a_file_with_any_bad_cell_writes_nothing(tmp_path, regions, industries):
    enterprises = Enterprise.objects.count()

    result = run_import(write_xlsx(tmp_path / "bad.xlsx", bad_rows()))

    assert not result.committed and result.created == 0
    assert Project.objects.count() == 0
    assert Enterprise.objects.count() == enterprises
    assert not AuditEntry.objects.filter(action="import").exists()


def test_an_official_may_only_import_into_their_own_area(tmp_path, users):
    rows = [
        ["项目名称", "企业名称", "所属县区"],
        ["凌海项目", "甲公司", "凌海市"],
        ["黑山项目", "乙公司", "黑山县"],
    ]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows), users["official"])

    assert errors_at(result) == {(3, "C"): "you may not add projects in 黑山县"}
    assert Project.objects.count() == 0


def test_a_withdrawn_row_needs_its_reason(tmp_path, regions):
    rows = [
        ["项目名称", "企业名称", "所属县区", "当前阶段", "终止原因"],
        ["甲项目", "甲公司", "凌海", "终止", ""],
        ["乙项目", "乙公司", "凌海", "终止", "企业撤资"],
    ]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert list(errors_at(result)) == [(2, "D")]


# --- Duplicates ---------------------------------------------------------------------------------


def test_rows_already_in_the_ledger_are_flagged_not_doubled(good_file, heishan):
    enterprise = EnterpriseFactory(credit_code=CODE_A)
    existing = ProjectFactory(name="40万吨/年针状焦项目", enterprise=enterprise, region=heishan)
    nameonly = EnterpriseFactory(name="宁德时代", credit_code=None)
    ProjectFactory(name="动力电池材料项目", enterprise=nameonly, region=heishan)

    result = run_import(good_file)

    assert result.ok and result.created == 1
    assert [(d.row, d.project_id) for d in result.duplicates][0] == (2, existing.pk)
    assert {d.row for d in result.duplicates} == {2, 4}
    assert Project.objects.filter(name="40万吨/年针状焦项目").count() == 1


def test_a_row_repeating_an_earlier_row_is_flagged_once(tmp_path, regions):
    rows = [
        ["项目名称", "企业名称", "所属县区"],
        ["甲项目", "甲公司", "凌海"],
        ["乙项目", "乙公司", "凌海"],
        ["甲 项目", "甲公司", "凌海"],
        ["甲项目", "甲公司", "凌海"],
    ]

    result = run_import(write_xlsx(tmp_path / "t.xlsx", rows))

    assert result.created == 3  # "甲 项目" is another name
    assert [(d.row, d.first_row) for d in result.duplicates] == [(5, 2)]
    assert Project.objects.filter(name="甲项目").count() == 1
    assert "repeats row 2" in str(result.duplicates[0])


def test_importing_the_same_file_twice_creates_nothing_the_second_time(good_file):
    run_import(good_file)

    again = run_import(good_file)

    assert again.ok and again.committed
    assert (again.created, len(again.duplicates)) == (0, 3)
    assert Project.objects.count() == 3


# --- The command --------------------------------------------------------------------------------


def test_the_commands_go_by_their_hyphenated_names():
    commands = get_commands()
    assert commands["import-projects"] == "guanjia.projects"
    assert commands["export-projects"] == "guanjia.projects"


def test_the_command_imports_a_good_file_and_prints_the_mapping(good_file):
    out = io.StringIO()

    call_command("import-projects", str(good_file), stdout=out)

    assert "A “项目名称” → Project name" in out.getvalue()
    assert "G “总投资(亿元)” → Total investment [亿元]" in out.getvalue()
    assert "Imported 3 projects" in out.getvalue()
    assert Project.objects.count() == 3


def test_the_command_dry_run_checks_and_writes_nothing(good_file):
    out = io.StringIO()

    call_command("import-projects", str(good_file), "--dry-run", stdout=out)

    assert "3 projects would be created" in out.getvalue()
    assert Project.objects.count() == 0


def test_the_command_prints_every_row_error_and_exits_with_2(tmp_path, regions, industries):
    path = write_xlsx(tmp_path / "bad.xlsx", bad_rows())
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("import-projects", str(path), stdout=out, stderr=err)

    assert exc.value.returncode == 2
    assert "row 5, column D “所属县区”: no region is called “火星区”" in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 10
    assert Project.objects.count() == 0


def test_the_command_dry_run_also_fails_on_errors(tmp_path, regions, industries):
    path = write_xlsx(tmp_path / "bad.xlsx", bad_rows())

    with pytest.raises(CommandError) as exc:
        call_command(
            "import-projects", str(path), "--dry-run", stdout=io.StringIO(), stderr=io.StringIO()
        )

    assert exc.value.returncode == 2


def test_the_command_imports_as_a_user_within_their_area(tmp_path, users):
    rows = [["项目名称", "企业名称", "所属县区"], ["黑山项目", "乙公司", "黑山县"]]
    path = write_xlsx(tmp_path / "t.xlsx", rows)

    with pytest.raises(CommandError):
        call_command(
            "import-projects",
            str(path),
            "--user",
            "t_official",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    call_command("import-projects", str(path), "--user", "t_admin", stdout=io.StringIO())

    assert (
        AuditEntry.objects.get(action="import", object_type="projects.project").actor
        == users["admin"]
    )


def test_the_command_refuses_a_missing_file_or_user(tmp_path, users):
    with pytest.raises(CommandError) as exc:
        call_command("import-projects", str(tmp_path / "nope.xlsx"))
    assert exc.value.returncode == 2
    path = write_xlsx(tmp_path / "t.xlsx", [["项目名称", "企业名称", "所属县区"]])
    with pytest.raises(CommandError, match="read-only"):
        call_command("import-projects", str(path), "--user", "t_leader")


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_web(client, users, immediate_tasks):
    client.force_login(users["admin"])
    return client


def upload(client, path: Path, capture, **extra):
    with path.open("rb") as f, capture(execute=True):
        return client.post(reverse("projects:import_start"), {"file": f, **extra})


def test_the_upload_page_lists_the_headers_and_links_the_template(admin_web, regions):
    response = admin_web.get(reverse("projects:import_start"))

    assert response.status_code == 200
    assert "总投资(万元)" in response.content.decode()
    assert reverse("projects:import_template") in response.content.decode()


def test_the_template_download_has_our_headers(admin_web):
    from python_calamine import CalamineWorkbook

    response = admin_web.get(reverse("projects:import_template"))

    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    assert book.get_sheet_by_index(0).to_python()[0][:3] == [
        "项目名称",
        "企业名称",
        "统一社会信用代码",
    ]


def test_web_import_checks_previews_then_commits(
    admin_web, good_file, users, django_capture_on_commit_callbacks
):
    response = upload(admin_web, good_file, django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "projects:import_job", args=[job.pk]
    )
    assert job.status == ImportStatus.VALIDATED and job.user == users["admin"]
    assert (job.progress_done, job.progress_total) == (3, 3)
    # In the private store's imports folder, which has no URL (MEDIA_ROOT is served in DEBUG).
    assert isinstance(job.file.storage, files.PrivateStorage)
    assert job.file.storage.folder == "imports" and job.file.storage.exists(job.file.name)
    with pytest.raises(ValueError):
        job.file.storage.url(job.file.name)
    page = admin_web.get(response.url).content.decode()
    assert "40万吨/年针状焦项目" in page  # the preview
    assert "总投资(亿元)" in page  # the mapping
    assert 'name="csrfmiddlewaretoken"' in page and 'class="btn primary" disabled' not in page
    assert Project.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(reverse("projects:import_commit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED and job.counts["created"] == 3
    assert Project.objects.count() == 3
    page = admin_web.get(response.url).content.decode()
    assert reverse("projects:project_list") in page


def test_a_file_with_errors_shows_them_and_cannot_be_committed(
    admin_web, tmp_path, regions, industries, django_capture_on_commit_callbacks
):
    upload(
        admin_web,
        write_xlsx(tmp_path / "bad.xlsx", bad_rows()),
        django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()

    page = admin_web.get(reverse("projects:import_job", args=[job.pk])).content.decode()
    assert "no region is called “火星区”" in page
    assert 'class="btn primary" disabled' in page
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(reverse("projects:import_commit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    assert Project.objects.count() == 0


def test_the_progress_partial_polls_while_running_and_redirects_when_done(admin_web, users):
    job = ImportJob.objects.create(
        user=users["admin"],
        file="imports/x.xlsx",
        original_name="x.xlsx",
        status=ImportStatus.VALIDATING,
        progress_done=500,
        progress_total=2000,
    )
    url = reverse("projects:import_progress", args=[job.pk])

    running = admin_web.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert 'aria-valuenow="25"' in running.content.decode()
    assert "HX-Redirect" not in running.headers

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATED)
    done = admin_web.get(url, headers={"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == reverse("projects:import_job", args=[job.pk])
    assert "every 1s" not in done.content.decode()


def test_an_upload_that_is_not_a_spreadsheet_is_refused_at_the_form(
    admin_web, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    response = upload(admin_web, path, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "not a spreadsheet" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", ["leader", "handler", "enterprise"])
def test_read_only_roles_cannot_import(client, users, role, immediate_tasks):
    client.force_login(users[role])
    job = ImportJob.objects.create(user=users[role], file="imports/x.xlsx", original_name="x.xlsx")

    assert client.get(reverse("projects:import_start")).status_code == 403
    assert client.post(reverse("projects:import_start")).status_code == 403
    assert client.get(reverse("projects:import_template")).status_code == 403
    assert client.get(reverse("projects:import_job", args=[job.pk])).status_code == 403


def test_another_users_import_is_not_found(client, users, immediate_tasks):
    job = ImportJob.objects.create(
        user=users["admin"],
        file="imports/x.xlsx",
        original_name="x.xlsx",
        status=ImportStatus.VALIDATED,
    )
    client.force_login(users["official"])

    assert client.get(reverse("projects:import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("projects:import_progress", args=[job.pk])).status_code == 404
    assert client.post(reverse("projects:import_commit", args=[job.pk])).status_code == 404


def test_the_import_pages_need_a_login(client):
    response = client.get(reverse("projects:import_start"))

    assert response.status_code == 302 and "login" in response.url


def test_imported_enterprises_are_matched_against_the_policies(
    good_file, immediate_tasks, django_capture_on_commit_callbacks
):
    from guanjia.policies.models import Policy, PolicyMatch

    Policy.objects.create(title="普惠政策", issuer="锦州市工信局", rule={})
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(good_file)
    assert result.committed
    matched = set(PolicyMatch.objects.values_list("enterprise__name", flat=True))
    assert {"中国石油锦州石化分公司", "宁德时代"} <= matched
