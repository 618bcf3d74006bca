"""The sheet kit (guanjia.core.sheets): cell parsers, header finding, row errors, two passes."""

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.db import models
from django.utils import translation
from python_calamine import CalamineWorkbook

from guanjia.core import sheets
from guanjia.core.sheets import (
    Amount,
    CellError,
    Choice,
    Column,
    Date,
    Integer,
    Reference,
    SheetImporter,
    Table,
    Text,
    lookup_in,
    parse_amount,
    parse_date,
)
from guanjia.industries.models import Industry

MARCH_5 = dt.date(2026, 3, 5)


@pytest.fixture(autouse=True)
def english(settings):
    # The assertions read the English msgids, whatever the Chinese catalogue says.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def xlsx(rows: list[list[object]], name: str = "表.xlsx") -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = name
    return buffer


# --- Cell parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-05",
        "2026/3/5",
        "2026.3.5",
        "2026年3月5日",
        " 2026 年 3 月 5 日 ",
        "2026-03-05 14:30",
        20260305,
        20260305.0,
        "20260305",
        46086,  # Excel's serial day of 2026-03-05
        46086.0,
        dt.datetime(2026, 3, 5, 0, 0),
        dt.datetime(2026, 3, 5, 9, 15),
        MARCH_5,
    ],
)
def test_every_date_form_an_office_writes(cell):
    assert parse_date(cell) == MARCH_5


def test_a_month_alone_is_its_first_day_only_when_the_column_allows_it():
    assert parse_date("2026年3月", month=True) == dt.date(2026, 3, 1)
    assert Date(month=True)("2026-03") == dt.date(2026, 3, 1)
    with pytest.raises(CellError, match="has no day"):
        parse_date("2026年3月")


@pytest.mark.parametrize("cell", [None, "", "  ", "-", "—", "/", "无", "暂无"])
def test_a_blank_date_is_none(cell):
    assert parse_date(cell) is None


@pytest.mark.parametrize("cell", ["2026-02-30", "20261341", "tomorrow", 12.5, "3/5"])
def test_what_is_not_a_date_is_refused(cell):
    with pytest.raises(CellError):
        parse_date(cell)


@pytest.mark.parametrize(
    ("cell", "unit", "wan"),
    [
        ("1,200", "万元", "1200"),
        ("1,200万元", "亿元", "1200"),  # the cell's unit wins
        ("3.5亿元", "万元", "35000"),
        ("3.5", "亿元", "35000"),
        ("120000元", "万元", "12"),
        (120000, "元", "12"),
        (0.1 + 0.2, "万元", "0.3"),  # Excel's binary noise is dropped
        ("六百一十二亿元", "万元", "6120000"),
        ("", "万元", "0"),
        ("—", "亿元", "0"),
    ],
)
def test_amounts_with_units_and_separators(cell, unit, wan):
    assert parse_amount(cell, unit) == Decimal(wan)
    assert Amount(unit)(cell) == Decimal(wan)


@pytest.mark.parametrize("cell", ["abc", "-5", "3.5美元", "1,20,0"])
def test_what_is_not_an_amount_is_refused(cell):
    with pytest.raises(CellError):
        parse_amount(cell)


def test_text_has_bounds_and_names_refuse_invisible_characters():
    assert Text(max_length=4)(" 黑山县 ") == "黑山县"
    assert Text()(3.0) == "3"
    with pytest.raises(CellError, match="too long"):
        Text(max_length=2)("黑山县")
    with pytest.raises(CellError, match="zero-width"):
        Text(name=True)("黑\u200b山")
    assert Text()("黑\u200b山") == "黑\u200b山"


def test_whole_numbers_and_years():
    assert Integer(0, 10)("7") == 7
    assert Integer()("1,200") == 1200
    assert sheets.YEAR("2026年") == 2026
    assert sheets.YEAR(2026.0) == 2026
    assert sheets.YEAR("") is None
    with pytest.raises(CellError):
        sheets.YEAR("1800")
    with pytest.raises(CellError):
        Integer()("1.5")


class Colour(models.TextChoices):
    RED = "red", "Red"
    GREEN = "green", "Green"


def test_an_enumeration_by_code_label_or_word():
    parse = Choice(Colour, words={"红色": "red", "红": "red"})
    assert parse("red") == "red"
    assert parse(" GREEN ") == "green"
    assert parse("Red") == "red"
    assert parse("红色") == "red"
    assert parse("") is None
    with pytest.raises(CellError, match="红色、Green"):
        parse("blue")


def test_an_enumeration_reads_its_chinese_labels(db):
    from guanjia.projects.models import Level

    parse = Choice(Level)
    for level in Level:
        assert parse(level.value) == level.value
    from django.utils.translation import override

    with override("zh-hans"):
        label = str(Level.PROVINCIAL.label)
    assert parse(label) == Level.PROVINCIAL


def test_a_reference_goes_through_the_lookup_the_app_gives():
    items = [{"name": "黑山县", "code": "HS"}, {"name": "临海区", "code": "LH"}, {"name": "HS"}]
    lookup = lookup_in(items, lambda i: i["name"], lambda i: i.get("code"))
    parse = Reference(lookup)
    assert parse("临海区")["code"] == "LH"
    assert parse("lh")["name"] == "临海区"
    assert parse("") is None
    with pytest.raises(CellError, match="nothing here is called"):
        parse("白山市")
    with pytest.raises(CellError, match="more than one"):
        parse("HS")  # the code of one and the name of another


# --- Columns and headers -----------------------------------------------------------------------

TABLE = Table(
    [
        Column(
            "name", "Name", "名称", ("行业名称",), Text(max_length=60, name=True), required=True
        ),
        Column("code", "Code", "代码", ("行业代码",), Text(max_length=20), required=True),
        Column("budget", "Budget", "预算", ("预算金额",), Amount()),
        Column("since", "Since", "设立日期", ("日期",), Date()),
        Column("order", "Order", "排序", (), Integer(0, 100)),
    ]
)


def rows_of(buffer: io.BytesIO) -> sheets.SheetRows:
    return sheets.read_sheet(buffer)


def test_the_header_is_found_under_title_rows_and_matched_by_normalised_aliases():
    buffer = xlsx(
        [
            ["2026年行业名录"],
            ["填报单位：市商务局", None, "日期：2026-03-05"],
            ["序号", " 行业 名称*", "行业代码：", "预算金额\n（亿元）", "备注", "日期"],
            [1, "新能源", "NE", 1.5, "说明", "2026/3/5"],
            [2, "新材料", "NM", None, "", "2026年3月5日"],
        ]
    )
    rows = rows_of(buffer)
    number, cells = TABLE.find_header(rows)
    header = TABLE.map_header(number, cells)
    sheets.collect_samples(header, rows)

    assert number == 3
    assert {k: (m.letter, m.unit) for k, m in header.columns.items()} == {
        "name": ("B", ""),
        "code": ("C", ""),
        "budget": ("D", "亿元"),
        "since": ("F", ""),
    }
    assert [m.letter for m in header.mapping if not m.key] == ["A"]  # 序号: ignored
    assert header.unknown_headers() == {"备注": ["说明"]}
    assert str(header.unknown[0]) == "column E “备注” not recognised, ignored"
    assert header.errors == []


def test_an_explicit_mapping_wins_and_can_ignore_a_column():
    cells = ["名称", "行业代码", "说明", "预算(万元)"]
    header = TABLE.map_header(1, cells, mapping={"说明": "order", "预算(万元)": None})
    assert header.columns["order"].letter == "C"
    assert "budget" not in header.columns
    assert header.unknown == []
    assert [m.header for m in header.mapping if not m.key] == ["预算(万元)"]


def test_a_mapped_header_counts_when_finding_the_header_row():
    rows = [(1, ["标题"]), (2, ["企业", "说明"])]
    assert TABLE.find_header(rows) is None
    assert TABLE.find_header(rows, mapping={"企业": "name", "说明": "code"}) == rows[1]


def test_header_problems_name_the_columns():
    header = TABLE.map_header(1, ["名称", "行业名称", "预算(美元)"])
    assert header.errors == [
        "columns A “名称” and B “行业名称” both mean “Name”; keep one of them",
        "column C “预算(美元)”: the unit “美元” is not understood; use 元, 万元 or 亿元",
        "the required column “Code” is missing (a header such as 代码、行业代码)",
    ]


# --- Two passes --------------------------------------------------------------------------------


class IndustryImporter(SheetImporter):
    table = TABLE

    def check_row(self, row: sheets.Row, result: sheets.SheetResult) -> Any:
        values = row.values(self.table)
        if values.get("code") and Industry.objects.filter(code=values["code"]).exists():
            row.fail("code", "taken")
        return values if row.ok else None

    def write(self, checked: list[dict[str, Any]], result: sheets.SheetResult) -> int:
        for values in checked:
            Industry.objects.create(name=values["name"], code=values["code"])
        return len(checked)


def test_errors_are_named_by_row_and_column_and_nothing_is_written(db):
    Industry.objects.all().delete()
    buffer = xlsx(
        [
            ["行业名录"],
            ["名称", "代码", "预算(亿元)", "设立日期", "排序"],
            ["新能源", "NE", 1.5, "2026-03-05", 1],
            ["", "NM", "很多", "2026-02-30", 1000],
            ["新材料", "NX", "1,000万元", 46086, 2],
        ]
    )

    result = IndustryImporter().commit(buffer)

    assert not result.ok and not result.committed
    assert [str(e) for e in result.errors] == [
        "row 4, column A “名称”: this cell is required but empty",
        "row 4, column C “预算(亿元)”: “很多” is not an amount",
        "row 4, column D “设立日期”: “2026-02-30” is not a real date",
        "row 4, column E “排序”: “1000” is not a number from 0 to 100",
    ]
    assert (result.rows, result.error_rows, result.header_row) == (3, 1, 2)
    assert not Industry.objects.exists()


def test_a_good_file_is_written_all_at_once_with_its_values_parsed(db):
    Industry.objects.all().delete()
    buffer = xlsx(
        [
            ["名称", "代码", "预算(亿元)", "设立日期"],
            ["新能源", "NE", 1.5, "2026.3.5"],
            ["新材料", "NM", "1,000万元", 46086],
        ]
    )
    importer = IndustryImporter()

    checked = importer.validate(buffer)
    assert checked.ok and checked.to_create == 2 and not Industry.objects.exists()
    assert importer.checked[1] == {
        "name": "新材料",
        "code": "NM",
        "budget": Decimal(1000),
        "since": MARCH_5,
    }
    assert checked.as_json()["preview"][0]["budget"] == "15000.0000"

    result = importer.commit(buffer)
    assert result.committed and result.created == 2
    assert set(Industry.objects.values_list("code", flat=True)) == {"NE", "NM"}


def test_a_failure_while_writing_rolls_back_every_row(db):
    Industry.objects.all().delete()

    class Failing(IndustryImporter):
        def write(self, checked: list[dict[str, Any]], result: sheets.SheetResult) -> int:
            super().write(checked[:1], result)
            result.file_errors.append("conflict")
            return 1

    buffer = xlsx([["名称", "代码"], ["新能源", "NE"], ["新材料", "NM"]])
    result = Failing().commit(buffer)

    assert result.file_errors == ["conflict"] and not result.committed
    assert not Industry.objects.exists()


def test_file_errors_a_missing_header_and_an_empty_body(db):
    no_header = IndustryImporter().validate(xlsx([["标题"], ["a", "b"]]))
    assert no_header.file_errors == [
        "no header row found: none of the first 10 rows has two recognised column names "
        "such as 名称、代码"
    ]
    empty = IndustryImporter().validate(xlsx([["名称", "代码"]]))
    assert empty.file_errors == ["there are no rows under the header"]
    broken = IndustryImporter().validate(io.BytesIO(b"not a spreadsheet"))
    assert broken.file_errors and not broken.ok


# --- Export ------------------------------------------------------------------------------------


def test_an_exported_sheet_imports_back(db):
    Industry.objects.all().delete()
    items = [
        {"name": "新能源", "code": "NE", "budget": Decimal("1.5"), "since": MARCH_5, "order": 3},
    ]
    table = Table(
        [
            Column(
                c.field,
                c.label,
                c.header,
                c.aliases,
                c.parser,
                c.required,
                kind=kind,
                get=lambda item, f=c.field: item.get(f),
            )
            for c, kind in zip(TABLE, ["text", "text", "amount", "date", "int"], strict=True)
        ]
    )
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheets.write_sheet(book, "行业", table, items)
    book.close()

    buffer.seek(0)
    header = next(iter(CalamineWorkbook.from_filelike(buffer).get_sheet_by_index(0).to_python()))
    assert header == ["名称", "代码", "预算(万元)", "设立日期", "排序"]

    buffer.seek(0)
    buffer.name = "行业.xlsx"
    importer = IndustryImporter()
    assert importer.validate(buffer).ok
    assert importer.checked == [{**items[0], "order": 3}]


def test_the_ledger_import_takes_an_explicit_mapping_for_an_unknown_header(heishan):
    from guanjia.projects.importers import run_import

    buffer = xlsx([["项目名称", "企业名称", "所在县"], ["风电项目", "某某能源公司", "黑山县"]])

    unknown = run_import(buffer, commit=False)
    assert unknown.file_errors and unknown.unknown_columns[0].samples == ["黑山县"]

    buffer.seek(0)
    mapped = run_import(buffer, commit=False, mapping={"所在县": "region"})
    assert mapped.ok, (mapped.file_errors, [str(e) for e in mapped.errors])
    assert [m.key for m in mapped.mapping] == ["name", "enterprise", "region"]
