"""What a bureau prints for the day: the guest list, the signing order (who goes on stage,
in turn) and the signing list, as PDF (WeasyPrint, CJK font) and Excel (the sheet kit). Each
is one column table over the same rows, so the PDF and the sheet say the same thing.
Phones are masked (`accounts.masking`) in both."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanjia.accounts.masking import mask_phone
from guanjia.core.sheets import Amount, Column, Table, download

from .models import Event, Guest, SigningListRow

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _guest_rows(event: Event) -> list[dict[str, Any]]:
    guests = (
        Guest.objects.filter(event=event)
        .select_related("enterprise")
        .prefetch_related("attendees")
        .order_by("city", "enterprise__name", "pk")
    )
    return [
        {
            "n": i,
            "enterprise": g.enterprise.name,
            "city": g.city,
            "attendees": "；".join(
                " ".join(filter(None, (a.name, a.title, mask_phone(a.phone) if a.phone else "")))
                for a in g.attendees.all()
            ),
            "status": str(g.get_status_display()),
            "checked_in_at": timezone.localtime(g.checked_in_at) if g.checked_in_at else None,
            "seat": g.seat,
        }
        for i, g in enumerate(guests, start=1)
    ]


def _signing_rows(event: Event) -> list[dict[str, Any]]:
    rows = (
        SigningListRow.objects.filter(event=event)
        .select_related("project", "government")
        .prefetch_related("enterprises")
        .order_by("position", "pk")
    )
    return [
        {
            "n": r.position,
            "project": r.project.name,
            "government": r.government.name,
            "enterprises": "、".join(e.name for e in r.enterprises.all()),
            "amount_wan": r.amount_wan,
            "status": str(r.get_status_display()),
        }
        for r in rows
    ]


def _col(field: str, label: Any, header: str, width: float = 14, **kw: Any) -> Column:
    return Column(field, label, header, width=width, get=lambda r: r[field], **kw)


@dataclass(frozen=True)
class Printable:
    title: Any
    table: Table
    rows: Callable[[Event], list[dict[str, Any]]]


SHEETS: dict[str, Printable] = {
    "guests": Printable(
        _("Guest list"),
        Table(
            [
                _col("n", _("No."), "序号", 6, kind="int"),
                _col("enterprise", _("Enterprise"), "企业名称", 36),
                _col("city", _("Comes from"), "来自城市", 12),
                _col("attendees", _("Attendees"), "参会人员", 40),
                _col("status", _("Status"), "回执", 10),
                _col("checked_in_at", _("Checked in at"), "签到时间", 18, kind="time"),
                _col("seat", _("Seat"), "座位", 10),
            ]
        ),  # fmt: skip
        _guest_rows,
    ),
    "order": Printable(
        _("Signing order"),
        Table(
            [
                _col("n", _("Order"), "签约顺序", 8, kind="int"),
                _col("government", _("Signing government"), "签约政府", 24),
                _col("enterprises", _("Signing enterprises"), "签约企业", 40),
                _col("project", _("Project"), "项目名称", 40),
            ]
        ),  # fmt: skip
        _signing_rows,
    ),
    "signings": Printable(
        _("Signing list"),
        Table(
            [
                _col("n", _("No."), "序号", 6, kind="int"),
                _col("project", _("Project"), "项目名称", 40),
                _col("government", _("Signing government"), "签约政府", 22),
                _col("enterprises", _("Signing enterprises"), "签约企业", 36),
                _col(
                    "amount_wan",
                    _("Contracted amount"),
                    "签约金额",
                    16,
                    kind="amount",
                    parser=Amount("万元"),
                ),
                _col("status", _("Status"), "状态", 8),
            ]
        ),  # fmt: skip
        _signing_rows,
    ),
}


def _cell(column: Column, row: dict[str, Any]) -> str:
    value = column.value(row)
    if value is None:
        return ""
    if column.kind == "time":
        return f"{value:%Y-%m-%d %H:%M}"
    if column.kind == "amount":
        return f"{value:,.2f}"
    return str(value)


def to_html(event: Event, what: str) -> str:
    sheet = SHEETS[what]
    rows = sheet.rows(event)
    return render_to_string(
        "events/print.html",
        {
            "event": event,
            "title": sheet.title,
            "headers": [c.canonical for c in sheet.table],
            "rows": [[_cell(c, r) for c in sheet.table] for r in rows],
            "generated": timezone.localtime(),
            "LANGUAGE_CODE": get_language(),
        },
    )


def pdf(event: Event, what: str) -> bytes:
    from weasyprint import HTML  # slow to import; only the printables need it

    out = HTML(string=to_html(event, what)).write_pdf()
    assert out is not None
    return bytes(out)


def xlsx(event: Event, what: str) -> FileResponse:
    sheet = SHEETS[what]
    return download(
        f"event-{event.pk}-{what}.xlsx", str(sheet.title), sheet.table, sheet.rows(event)
    )
