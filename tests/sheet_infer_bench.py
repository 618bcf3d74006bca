"""Scoring column inference on the imagined offices' sheets in tests/data/sheets/{tune,heldout}.

Each sheet lists its columns with the field a clerk would choose (`expect`, null: ignore). The
headers the ledger already knows (its own aliases and `headers.EXTRA_ALIASES`) are mapped by
header, as the kit does; the rest go to `infer.propose`. The score is the share of those
unknown columns whose proposal is the expected field (None for a column to ignore).

    .venv/bin/python -m tests.sheet_infer_bench tune      # or heldout
"""

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "sheets"


def _cell(value: Any) -> Any:
    if isinstance(value, dict) and "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if isinstance(value, dict) and "$datetime" in value:
        return dt.datetime.fromisoformat(value["$datetime"])
    return value


def load(path: Path) -> dict[str, Any]:
    sheet = json.loads(path.read_text(encoding="utf-8"))
    for column in sheet["columns"]:
        column["cells"] = [_cell(c) for c in column["cells"]]
    return sheet


def known_field(header: str) -> str | None:
    """The field a header names by the ledger's column table (its own aliases and the extra
    ones, as the kit matches them), else by the extra aliases' normalised forms."""
    from guanjia.core.sheets.headers import alias_table, normalise_header
    from guanjia.projects.importers import TABLE

    return TABLE.field_for(header) or alias_table().get(normalise_header(header))


def run(sheet: dict[str, Any], vocab: Any) -> list[tuple[str, Any, Any, str]]:
    """(header, expected, proposed, evidence) for every column not known by its header."""
    from guanjia.projects.infer import SheetColumn, ledger_candidates, propose

    mapped: dict[str, int] = {}
    unknown = []
    for index, column in enumerate(sheet["columns"]):
        key = known_field(column["header"])
        if key and key not in mapped:
            mapped[key] = index
        else:
            unknown.append(SheetColumn(index, column["header"], column["cells"]))
    stage_cells = sheet["columns"][mapped["stage"]]["cells"] if "stage" in mapped else None
    proposals = propose(unknown, ledger_candidates(), vocab, mapped=mapped, stage_cells=stage_cells)
    return [(p.header, sheet["columns"][p.index]["expect"], p.field, p.evidence) for p in proposals]


def score(folder: str, vocab: Any = None, show: bool = False) -> tuple[int, int]:
    """(correct, columns) over the sheets in one folder."""
    from guanjia.projects.infer import Vocabulary

    vocab = vocab or Vocabulary.from_files()
    correct = total = 0
    for path in sorted((DATA / folder).glob("*.json")):
        for header, expected, proposed, evidence in run(load(path), vocab):
            total += 1
            correct += expected == proposed
            if show:
                mark = "ok " if expected == proposed else "BAD"
                print(
                    f"{mark} {path.stem:14} {header:16} want={expected} got={proposed}  {evidence}"
                )
    return correct, total


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanjia.settings")
    django.setup()
    from django.utils import translation

    translation.activate(sys.argv[2] if len(sys.argv) > 2 else "en")
    good, n = score(sys.argv[1] if len(sys.argv) > 1 else "tune", show=True)
    print(f"{good}/{n} = {good / n:.3f}")
