"""A trip's report (出访报告), drawn from its records: PDF (WeasyPrint, the CJK font the weekly
reports use) and Word (python-docx). Nothing in it is typed: destination, dates and team come
from the trip, each meeting from its negotiation record, the leads and totals are counted."""

import dataclasses
import datetime as dt
import io
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guanjia.core.health import require_cjk_font

from .models import Lead, NegotiationRecord, Trip

# The font the weekly and monthly reports use (guanjia/reports/render.py; a higher layer).
CJK_FONT = "Noto Sans CJK SC"


@dataclasses.dataclass
class TripReport:
    trip: Trip
    team: list[str]
    meetings: list[NegotiationRecord]
    created: list[Lead]  # leads whose first record came from this trip
    advanced: list[Lead]  # leads met on the trip that were known before
    generated_at: dt.datetime

    @property
    def title(self) -> str:
        return _("Trip report: %(to)s") % {"to": self.trip.destinations}

    @property
    def dates(self) -> str:
        return f"{self.trip.start_on:%Y-%m-%d} – {self.trip.end_on:%Y-%m-%d}"

    def totals(self) -> list[tuple[str, str]]:
        investors = {m.lead.investor_id for m in self.meetings}
        return [
            (_("Meetings"), str(len(self.meetings))),
            (_("Investors met"), str(len(investors))),
            (_("Leads created on the trip"), str(len(self.created))),
            (_("Leads advanced"), str(len(self.advanced))),
        ]


def leads_of(trip: Trip, seen: QuerySet[Lead] | None = None) -> tuple[list[Lead], list[Lead]]:
    """(created on the road, advanced): a lead is created on the trip when its first
    negotiation record is one of the trip's. `seen`: the leads the reader may see."""
    created: list[Lead] = []
    advanced: list[Lead] = []
    leads = (seen if seen is not None else Lead.objects.all()).filter(
        pk__in=trip.records.values("lead_id")
    )
    leads = leads.select_related("investor")
    for lead in leads.order_by("name"):
        first = lead.records.order_by("date", "id").first()
        (created if first is not None and first.trip_id == trip.pk else advanced).append(lead)
    return created, advanced


def build(trip: Trip, seen: QuerySet[Lead] | None = None) -> TripReport:
    """The report of `trip` as the reader sees it: only the meetings of leads in `seen`."""
    records = trip.records.all()
    if seen is not None:
        records = records.filter(lead__in=seen)
    meetings = list(records.select_related("lead", "lead__investor").order_by("date", "id"))
    created, advanced = leads_of(trip, seen)
    team = [str(trip.owner), *[str(u) for u in trip.team.exclude(pk=trip.owner_id)]]
    return TripReport(trip, team, meetings, created, advanced, timezone.now())


def to_html(report: TripReport) -> str:
    return render_to_string(
        "leads/trip_report_pdf.html",
        {
            "r": report,
            "generated": timezone.localtime(report.generated_at),
            "LANGUAGE_CODE": get_language(),
        },
    )


def to_pdf(report: TripReport) -> bytes:
    require_cjk_font()  # never a report with empty boxes for every character
    from weasyprint import HTML  # slow to import; only reports need it

    pdf = HTML(string=to_html(report)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _meeting_lines(m: NegotiationRecord) -> list[tuple[str, str]]:
    lines = [
        (_("Place"), m.place or "—"),
        (_("Who met whom"), f"{m.our_side} — {m.their_side}"),
        (_("Outcome"), m.outcome),
    ]
    if m.next_step or m.next_follow_up_on:
        when = f"（{m.next_follow_up_on:%Y-%m-%d}）" if m.next_follow_up_on else ""
        lines.append((_("Next step"), f"{m.next_step}{when}"))
    return lines


def to_docx(report: TripReport) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc: Any = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10)
    normal.font.name = CJK_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    trip = report.trip
    doc.add_heading(report.title, level=0)
    generated = timezone.localtime(report.generated_at)
    doc.add_paragraph(f"{_('generated')} {generated:%Y-%m-%d %H:%M}")
    facts = [
        (_("Destination cities"), trip.destinations),
        (_("Dates"), report.dates),
        (_("Area"), trip.region.name),
        (_("Team"), "、".join(report.team)),
    ]
    if trip.purpose:
        facts.append((_("Purpose"), trip.purpose))
    for label, value in facts:
        doc.add_paragraph(f"{label}：{value}")
    doc.add_heading(_("Meetings"), level=1)
    if not report.meetings:
        doc.add_paragraph(_("No meeting recorded on this trip."))
    for m in report.meetings:
        doc.add_heading(f"{m.date:%Y-%m-%d} {m.lead.investor.name} · {m.lead.name}", level=2)
        for label, value in _meeting_lines(m):
            doc.add_paragraph(f"{label}：{value}")
    for title, leads in (
        (_("Leads created on the trip"), report.created),
        (_("Leads advanced"), report.advanced),
    ):
        doc.add_heading(title, level=1)
        if not leads:
            doc.add_paragraph("—")
        for lead in leads:
            doc.add_paragraph(
                f"{lead.name}（{lead.investor.name}）· {lead.get_status_display()}",
                style="List Bullet",
            )
    doc.add_heading(_("Totals"), level=1)
    grid = doc.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    for label, value in report.totals():
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = label, value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
