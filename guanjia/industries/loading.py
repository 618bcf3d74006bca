"""Loading an industry taxonomy from JSON; a city edits it afterwards in the admin."""

import json
from pathlib import Path

from django.db import transaction

from .models import Industry

DEFAULT_FILE = Path(__file__).parent / "data" / "taxonomy-6-1-2.json"


@transaction.atomic
def load_industries(path: Path = DEFAULT_FILE) -> int:
    """Create industries that are missing (by code); never overwrites a city's edits."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["industries"]
    created = 0
    for row in rows:
        _, was_created = Industry.objects.get_or_create(
            code=row["code"],
            defaults={k: row.get(k, "") for k in ("name", "group", "gbt4754", "aliases")}
            | {"sort_order": row.get("sort_order", 0)},
        )
        created += was_created
    return created
