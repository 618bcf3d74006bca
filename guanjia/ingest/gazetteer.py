"""Region names as texts write them: full names, short names and the zones' other names."""

import json
import re
from pathlib import Path
from typing import Any

from .extract import Region

REGIONS_FILE = Path(__file__).resolve().parent.parent / "regions" / "data" / "liaoning-jinzhou.json"


def _aliases(row: dict[str, Any]) -> list[tuple[str, bool]]:
    """The names a text may use for `row`, each with whether many cities use it too (a zone's
    short name, 高新区, and its other name, 滨海新区)."""
    names = [(row["name"], False)]
    short = row.get("short_name") or ""
    if len(short) >= 2 and short != row["name"]:
        names.append((short, row["kind"] == "zone"))
    # A zone's other name opens its note: "滨海新区; a national zone …".
    note = (row.get("note") or "").split(";")[0].strip()
    if re.fullmatch(r"[\u4e00-\u9fa5]{2,12}(新区|开发区|园区)", note):
        names.append((note, True))
    return names


def build(rows: list[dict[str, Any]]) -> list[Region]:
    """Gazetteer entries for the active regions below the province, longest alias first."""
    entries = []
    for row in rows:
        if row.get("abolished_on") or row["kind"] == "province":
            continue
        for alias, generic in _aliases(row):
            entries.append(
                Region(
                    alias, row["name"], row["code"], is_city=row["kind"] == "city", generic=generic
                )
            )
    entries.sort(key=lambda r: -len(r.alias))
    return entries


def from_file(path: Path = REGIONS_FILE) -> list[Region]:
    return build(json.loads(path.read_text(encoding="utf-8"))["regions"])


def from_db() -> list[Region]:
    from guanjia.regions.models import Region as RegionModel

    rows = RegionModel.objects.filter(abolished_on__isnull=True).values(
        "code", "name", "short_name", "kind", "note", "abolished_on"
    )
    return build([dict(row) for row in rows])
