"""A report's content drawn as PDF (WeasyPrint, from an HTML template), .docx and .xlsx."""

import dataclasses
import datetime as dt
import io
import logging
import re
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guanjia.core.health import require_cjk_font

from .content import ReportContent, Table

CJK_FONT = "Noto Sans CJK SC"
NUMBER = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# WeasyPrint logs each layout step at INFO; a report is not worth a page of log lines.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _tables(content: ReportContent) -> list[Table]:
    return [*content.tables, *([content.targets] if content.targets else [])]


def _period(content: ReportContent) -> str:
    return f"{content.start:%Y-%m-%d} – {content.end:%Y-%m-%d}"


# A printed table stops here (WeasyPrint lays out every row: 600 rows took 4 s); the DOCX and
# XLSX carry up to content.MAX_ROWS.
PDF_ROWS = 100


def to_html(content: ReportContent) -> str:
    tables = [
        dataclasses.replace(t, rows=t.rows[:PDF_ROWS], total=t.total or len(t.rows))
        if len(t.rows) > PDF_ROWS
        else t
        for t in _tables(content)
    ]
    return render_to_string(
        "reports/pdf.html",
        {
            "c": content,
            "tables": tables,
            "pdf_rows": PDF_ROWS,
            "generated": timezone.localtime(content.generated_at),
            "LANGUAGE_CODE": get_language(),
        },
    )


def to_pdf(content: ReportContent) -> bytes:
    require_cjk_font()  # never a report with empty boxes for every character
    from weasyprint import HTML  # imported here: it is slow to import and only reports need it

    pdf = HTML(string=to_html(content)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def to_docx(content: ReportContent) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Mm(15))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(9)
    normal.font.name = CJK_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)

    doc.add_heading(content.title, level=0)
    generated = timezone.localtime(content.generated_at)
    doc.add_paragraph(
        f"{content.area_name} · {_period(content)} · {_('generated')} {generated:%Y-%m-%d %H:%M}"
    )

    def table(columns: list[str], rows: list[list[str]]) -> None:
        grid = doc.add_table(rows=1, cols=len(columns))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, columns, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text

    doc.add_heading(_("Headline figures"), level=1)
    table(
        [_("Figure"), _("This period"), _("Year to date"), _("Unit")],
        [[f.label, f.period, f.year, f.unit] for f in content.figures],
    )
    if content.indicators:
        doc.add_heading(_("Indicators this year"), level=1)
        table([_("Figure"), _("Value")], [list(pair) for pair in content.indicators])
    for t in _tables(content):
        doc.add_heading(f"{t.title} ({t.total})" if t.total else t.title, level=1)
        if t.rows:
            table(t.columns, t.rows)
            if t.note:
                doc.add_paragraph(t.note)
        else:
            doc.add_paragraph(t.empty)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    base, n = name, 2
    while name in used:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def to_xlsx(content: ReportContent) -> bytes:
    """One sheet per section: the headline figures first, then each table."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    title = book.add_format({"bold": True, "font_size": 14})
    integer = book.add_format({"num_format": "#,##0"})
    decimal = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    used: set[str] = set()

    def cell(ws: Any, row: int, col: int, text: str) -> None:
        """Numbers and dates as such (so they sum and sort), everything else as text."""
        if NUMBER.fullmatch(text):
            value = Decimal(text.replace(",", ""))
            ws.write_number(row, col, float(value), decimal if "." in text else integer)
        elif DATE.fullmatch(text):
            ws.write_datetime(row, col, dt.datetime.fromisoformat(text), date)
        else:
            ws.write_string(row, col, text)

    def sheet(name: str, columns: list[str], rows: list[list[str]], note: str = "") -> None:
        ws = book.add_worksheet(_sheet_name(name, used))
        ws.write_string(0, 0, f"{content.title} · {content.area_name} · {_period(content)}", title)
        ws.write_row(2, 0, columns, head)
        for i, row in enumerate(rows, start=3):
            for j, text in enumerate(row):
                cell(ws, i, j, text)
        if note:
            ws.write_string(len(rows) + 4, 0, note)
        for col, heading in enumerate(columns):
            width = max([len(heading), *(len(r[col]) for r in rows[:200])], default=8)
            ws.set_column(col, col, min(60, max(8, width * 1.6)))
        ws.freeze_panes(3, 0)

    sheet(
        _("Headline figures"),
        [_("Figure"), _("This period"), _("Year to date"), _("Unit")],
        [[f.label, f.period, f.year, f.unit] for f in content.figures],
    )
    if content.indicators:
        sheet(
            _("Indicators this year"),
            [_("Figure"), _("Value")],
            [list(p) for p in content.indicators],
        )
    for t in _tables(content):
        sheet(t.title, t.columns, t.rows, t.note if t.rows else t.empty)
    book.close()
    return out.getvalue()
