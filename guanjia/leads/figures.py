"""The pipeline's figures, computed from the leads (never typed): how many reach each status,
the conversion rate to a signing, and the median days spent in each stage, by source and by
team."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from guanjia.enterprises.models import ContactSource

from .models import Lead, Status

# (stage, the date it starts, the dates that end it, in order of preference)
STAGES: list[tuple[str, str, str]] = [
    (Status.LEAD, "lead_on", "contact_on"),
    (Status.CONTACT, "contact_on", "negotiating_on"),
    (Status.NEGOTIATING, "negotiating_on", "signed_on"),
]
COLUMNS = ("lead_on", "contact_on", "negotiating_on", "signed_on", "status")


@dataclass
class Row:
    key: Any
    label: str
    total: int = 0
    reached: dict[str, int] = field(default_factory=dict)
    durations: dict[str, list[int]] = field(default_factory=dict)

    @property
    def signed(self) -> int:
        return self.reached.get(Status.SIGNED, 0)

    @property
    def dropped(self) -> int:
        return self.reached.get(Status.DROPPED, 0)

    @property
    def conversion(self) -> float | None:
        """Signed as a share of the leads entered (percent)."""
        return round(100 * self.signed / self.total, 1) if self.total else None

    def median(self, stage: str) -> float | None:
        days = self.durations.get(stage) or []
        return statistics.median(days) if days else None

    @property
    def medians(self) -> list[float | None]:
        return [self.median(stage) for stage, _a, _b in STAGES]


def _add(row: Row, lead: dict[str, Any]) -> None:
    row.total += 1
    for status, date_field in (
        (Status.CONTACT, "contact_on"),
        (Status.NEGOTIATING, "negotiating_on"),
        (Status.SIGNED, "signed_on"),
    ):
        if lead[date_field]:
            row.reached[status] = row.reached.get(status, 0) + 1
    if lead["status"] == Status.DROPPED:
        row.reached[Status.DROPPED] = row.reached.get(Status.DROPPED, 0) + 1
    # A stage's time runs from its start to the next date reached (a lead may skip a stage).
    order = ["lead_on", "contact_on", "negotiating_on", "signed_on"]
    for stage, start, _end in STAGES:
        began = lead[start]
        if began is None:
            continue
        later = [lead[f] for f in order[order.index(start) + 1 :] if lead[f]]
        if later:
            row.durations.setdefault(stage, []).append((later[0] - began).days)


def rows(leads: Iterable[dict[str, Any]], key: str, labels: dict[Any, str]) -> list[Row]:
    by: dict[Any, Row] = {}
    everyone = Row(None, "")
    for lead in leads:
        value = lead[key]
        row = by.setdefault(value, Row(value, labels.get(value, "—")))
        _add(row, lead)
        _add(everyone, lead)
    ordered = sorted(by.values(), key=lambda r: (-r.total, r.label))
    return [*ordered, everyone] if ordered else []


def chart(data: dict[str, Any]) -> dict[str, Any]:
    """What the page's chart draws (ECharts): conversion and median days per stage, by source."""
    rows_ = list(data["by_source"][:-1])
    return {
        "sources": [r.label for r in rows_],
        "conversion": [r.conversion for r in rows_],
        "stages": [str(s) for s in data["stages"]],
        "medians": [[r.median(stage) for r in rows_] for stage, _a, _b in STAGES],
    }


def pipeline(qs: QuerySet[Lead]) -> dict[str, Any]:
    """The figures of the leads in `qs` (what the user sees), by source and by team."""
    leads = list(qs.values(*COLUMNS, "source", "department_id", "department__name"))
    teams = {lead["department_id"]: lead["department__name"] or "" for lead in leads}
    counts = dict.fromkeys(Status.values, 0)
    for lead in leads:
        counts[lead["status"]] += 1
    return {
        "total": len(leads),
        "counts": [(Status(s).label, counts[s]) for s in Status.values],
        "by_source": rows(
            leads, "source", {value: str(label) for value, label in ContactSource.choices}
        ),
        "by_team": rows(leads, "department_id", teams),
        "stages": [Status(stage).label for stage, _a, _b in STAGES],
    }
