"""The public projects as an OC4IDS 0.9 project package.

What is published of a project is what the portal shows: its name, area, industry, stage,
dates and investment (`construction_content` as the description), never the investor's
contacts, the steward, the leader, the task force or any note. Locations come from the land
the project was given (the parks app registers `locators`: it sits above projects) and the
project's area as an address.

Our stages map to OC4IDS `projectStatus` codes as `STATUS` says: a lead or negotiation is the
decision to develop a project (identification); signed, registered and the approvals prepare
it (preparation); construction is implementation; the first operation hands the asset over
(completion); full capacity closes it out (completed); a withdrawal is a cancellation.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from guanjia.core.hooks import Hooks
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

VERSION = "0.9"
SCHEMA = Path(__file__).resolve().parent / "schema" / "project-package-schema.json"

STATUS: dict[str, str] = {
    Stage.LEAD: "identification",
    Stage.NEGOTIATING: "identification",
    Stage.SIGNED: "preparation",
    Stage.REGISTERED: "preparation",
    Stage.APPROVALS: "preparation",
    Stage.CONSTRUCTION: "implementation",
    Stage.OPERATION: "completion",
    Stage.FULL_CAPACITY: "completed",
    Stage.WITHDRAWN: "cancelled",
}
# Industrial investment is the `economy` sector of the projectSector codelist; the industry
# itself goes into additionalClassifications (GB/T 4754-2017 codes and the city's taxonomy).
SECTOR = ["economy"]

# project ids → their OC4IDS locations (GeoJSON geometries in WGS 84), from higher apps.
locators: Hooks[Callable[[Sequence[int]], dict[int, list[dict[str, Any]]]]] = Hooks(
    "projects.opendata.oc4ids.locators"
)

FIELDS = ("id", "name", "construction_content", "stage", "total_investment_wan", "signed_on",
          "construction_on", "operation_on", "full_capacity_on", "withdrawn_on", "updated_at",
          "region__name", "region__code", "region__gb_code", "industry__name",
          "industry__code", "industry__gbt4754")  # fmt: skip


def schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return result


def project_id(pk: int) -> str:
    return f"{settings.GUANJIA_OC4IDS_PREFIX}-{pk}"


def _datetime(value: dt.date | None) -> str | None:
    """A date as the start of that day in the server's zone (OC4IDS dates are date-times)."""
    if value is None:
        return None
    at = dt.datetime.combine(value, dt.time(), tzinfo=timezone.get_current_timezone())
    return at.isoformat()


def _yuan(wan: Decimal | None) -> float | None:
    if not wan:
        return None
    return float(Decimal(wan) * 10000)


def project(row: dict[str, Any], locations: list[dict[str, Any]]) -> dict[str, Any]:
    """One project of the package from a row of `FIELDS`."""
    out: dict[str, Any] = {
        "id": project_id(row["id"]),
        "updated": row["updated_at"].isoformat(),
        "title": row["name"],
        "status": STATUS[row["stage"]],
        "sector": SECTOR,
    }
    if row["construction_content"]:
        out["description"] = row["construction_content"]
    if row["industry__name"]:
        classes = [
            {"scheme": "GB/T 4754-2017", "id": code.strip(), "description": row["industry__name"]}
            for code in (row["industry__gbt4754"] or "").split(",")
            if code.strip()
        ]
        classes.append(
            {"scheme": "guanjia-industry", "id": row["industry__code"],
             "description": row["industry__name"]}
        )  # fmt: skip
        out["additionalClassifications"] = classes
    area: dict[str, Any] = {
        "id": "area",
        "description": row["region__name"],
        "address": {"region": row["region__name"], "countryName": "中国"},
    }
    if row["region__gb_code"]:
        area["gazetteer"] = {"scheme": "GB/T 2260", "identifiers": [row["region__gb_code"]]}
    out["locations"] = [area, *locations]
    if (amount := _yuan(row["total_investment_wan"])) is not None:
        out["budget"] = {"amount": {"amount": amount, "currency": "CNY"}}
    start = row["construction_on"] or row["signed_on"]
    end = row["operation_on"] or row["full_capacity_on"]
    period = {k: v for k, v in (("startDate", _datetime(start)), ("endDate", _datetime(end))) if v}
    if period:
        out["period"] = period
    if row["stage"] == Stage.WITHDRAWN and row["withdrawn_on"]:
        out["completion"] = {"endDate": _datetime(row["withdrawn_on"])}
    return out


def _locations(ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for locate in locators:
        for pk, locations in locate(ids).items():
            found.setdefault(pk, []).extend(locations)
    return found


def iter_projects(projects: QuerySet[Project], chunk: int = 2000) -> Iterable[dict[str, Any]]:
    """The projects of the package, fetched `chunk` rows at a time (constant memory)."""
    rows = projects.order_by("pk").values(*FIELDS)
    batch: list[dict[str, Any]] = []
    for row in rows.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) == chunk:
            yield from _emit(batch)
            batch = []
    yield from _emit(batch)


def _emit(batch: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    if not batch:
        return
    located = _locations([r["id"] for r in batch])
    for row in batch:
        yield project(row, located.get(row["id"], []))


def published_date(projects: QuerySet[Project]) -> str:
    """The last change to the package's contents (OC4IDS: for a package made on demand)."""
    last = projects.aggregate(last=Max("updated_at"))["last"]
    return (last or timezone.now()).isoformat()


def package(projects: QuerySet[Project], uri: str) -> dict[str, Any]:
    """The project package of `projects` (the caller decides which are public)."""
    return {
        "uri": uri,
        "publishedDate": published_date(projects),
        "publisher": {"name": settings.GUANJIA_OPEN_PUBLISHER},
        "license": settings.GUANJIA_OPEN_LICENSE,
        "version": VERSION,
        "projects": list(iter_projects(projects)),
    }
