"""Loading a city's regions from a JSON file (another city supplies its own)."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.db import transaction

from .models import Region

DEFAULT_FILE = Path(__file__).parent / "data" / "liaoning-jinzhou.json"


@transaction.atomic
def load_regions(path: Path = DEFAULT_FILE) -> tuple[int, int]:
    """Create or update regions by code, parents first; returns (created, updated)."""
    rows: list[dict[str, Any]] = json.loads(Path(path).read_text(encoding="utf-8"))["regions"]
    created = updated = 0
    by_code: dict[str, Region] = {}
    for row in rows:
        parent = row.get("parent")
        defaults = {
            "gb_code": row.get("gb_code", ""),
            "name": row["name"],
            "short_name": row.get("short_name", ""),
            "kind": row["kind"],
            "parent": by_code.get(parent) or Region.objects.get(code=parent) if parent else None,
            "sort_order": row.get("sort_order", 0),
            "established_on": _date(row.get("established_on")),
            "abolished_on": _date(row.get("abolished_on")),
            "note": row.get("note", ""),
        }
        region = Region.objects.filter(code=row["code"]).first()
        if region is None:
            region = Region.objects.create(code=row["code"], **defaults)
            created += 1
        elif any(getattr(region, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(region, k, v)
            region.save()
            updated += 1
        by_code[region.code] = region
    for row in rows:
        if row.get("successor"):
            region = by_code[row["code"]]
            successor = by_code.get(row["successor"]) or Region.objects.get(code=row["successor"])
            if region.successor_id != successor.pk:
                region.successor = successor
                region.save()
    return created, updated


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
