"""make bench-ingest: precision and recall of the extracted figures over the labelled texts, per
split and per field, and the time per document.

The labels are `<name>.labels.json` beside each `<name>.txt`: every figure of the text as
[section, field, value], written down by reading it (and an optional "published" date, given to
the extractor as the CLI's --published would be). A figure counts as found when the extraction
has the same section, field and value (as a multiset). Three splits:

- samples: tests/data/ingest/*.txt, the bureau's samples the extractor was written on;
- tune:    tests/data/ingest/corpus/tune/, texts the rules may be tuned on;
- heldout: tests/data/ingest/corpus/heldout/, texts nobody tunes on (see the corpus README).

In the corpus a milestone's kind (started, in_operation, grid_connected, full_capacity,
completed) is a labelled figure too; the samples predate that and are scored without it.

    python bench/ingest.py [--split tune|heldout|samples|all] [--docs] [--json]
    python bench/ingest.py --only samples,tune [--docs]   # never reads the held-out part

`--only` is for whoever changes the rules: it takes the tunable splits only (samples, tune) and
does not open the held-out folder at all, so held-out figures cannot be printed by mistake.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanjia.settings")

import django  # noqa: E402

django.setup()

from guanjia.ingest import gazetteer  # noqa: E402
from guanjia.ingest.extract import extract, figures, normalise  # noqa: E402
from guanjia.ingest.numbers import jio  # noqa: E402

DATA = ROOT / "tests" / "data" / "ingest"
SPLITS = {
    "samples": (DATA, False),
    "tune": (DATA / "corpus" / "tune", True),
    "heldout": (DATA / "corpus" / "heldout", True),
}
REPEAT = 20


def found_figures(result: dict[str, Any], with_kinds: bool) -> Counter:
    got = Counter((section, key, value) for section, key, value, _start in figures(result))
    if with_kinds:
        for record in result.get("milestones", []):
            if record.get("kind"):
                got[("milestones", "kind", str(record["kind"]))] += 1
    return got


def ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def field_precision(c: Counter) -> float | None:
    """None when the field was never extracted: no precision to speak of."""
    return round(c["tp"] / (c["tp"] + c["fp"]), 3) if c["tp"] + c["fp"] else None


def run_split(split: str, regions: list, repeat: int) -> dict[str, Any]:
    folder, with_kinds = SPLITS[split]
    per_field: dict[str, Counter] = defaultdict(Counter)
    docs = []
    for label in sorted(folder.glob("*.labels.json")):
        name = label.name.removesuffix(".labels.json")
        text = normalise((folder / f"{name}.txt").read_text(encoding="utf-8"))
        data = json.loads(label.read_text(encoding="utf-8"))
        published = dt.date.fromisoformat(data["published"]) if data.get("published") else None
        expected = Counter(tuple(row) for row in data["figures"])
        start = time.perf_counter()
        for _ in range(repeat):
            result = extract(text, published=published, regions=regions)
        per_doc = (time.perf_counter() - start) / repeat
        got = found_figures(result, with_kinds)
        hit, wrong, missed = got & expected, got - expected, expected - got
        for counter, key in ((hit, "tp"), (wrong, "fp"), (missed, "fn")):
            for (section, field, _value), n in counter.items():
                per_field[f"{section}.{field}"][key] += n
        docs.append(
            {
                "name": name,
                "labelled": sum(expected.values()),
                "found": sum(hit.values()),
                "wrong": sum(wrong.values()),
                "missed": sum(missed.values()),
                "ms": per_doc * 1000,
            }
        )
    tp = sum(d["found"] for d in docs)
    fp = sum(d["wrong"] for d in docs)
    fn = sum(d["missed"] for d in docs)
    return {
        "split": split,
        "documents": len(docs),
        "figures": tp + fn,
        "precision": round(ratio(tp, tp + fp), 3),
        "recall": round(ratio(tp, tp + fn), 3),
        "ms_per_doc": round(sum(d["ms"] for d in docs) / len(docs), 1) if docs else 0.0,
        "fields": {
            key: {
                "labelled": c["tp"] + c["fn"],
                "wrong": c["fp"],
                "precision": field_precision(c),
                "recall": round(ratio(c["tp"], c["tp"] + c["fn"]), 3)
                if c["tp"] + c["fn"]
                else None,
            }
            for key, c in sorted(per_field.items())
        },
        "docs": docs,
    }


def show(report: dict[str, Any], show_docs: bool) -> None:
    print(f"== {report['split']}: {report['documents']} documents, {report['figures']} figures")
    if show_docs:
        print(f"{'document':44} {'labelled':>8} {'found':>6} {'wrong':>6} {'missed':>6} {'ms':>6}")
        for d in report["docs"]:
            print(
                f"{d['name']:44} {d['labelled']:8d} {d['found']:6d} {d['wrong']:6d} "
                f"{d['missed']:6d} {d['ms']:6.1f}"
            )
    print(f"{'field':32} {'labelled':>8} {'wrong':>6} {'precision':>9} {'recall':>7}")
    for key, f in report["fields"].items():
        precision = "-" if f["precision"] is None else f"{f['precision']:.3f}"
        recall = "-" if f["recall"] is None else f"{f['recall']:.3f}"
        print(f"{key:32} {f['labelled']:8d} {f['wrong']:6d} {precision:>9} {recall:>7}")
    print(
        f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
        f"figures {report['figures']}  time per document {report['ms_per_doc']:.1f} ms "
        f"(mean of {REPEAT} runs each)\n"
    )


TUNABLE = ("samples", "tune")


def _tunable(value: str) -> list[str]:
    """`--only samples,tune`: the splits the rules may be tuned on, refusing the held-out one."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    wrong = [name for name in names if name not in TUNABLE]
    if wrong or not names:
        raise argparse.ArgumentTypeError(
            f"--only takes {', '.join(TUNABLE)} (held-out is measured by the lead): {value}"
        )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument(
        "--only",
        type=_tunable,
        help="comma-separated tunable splits (samples, tune); never the held-out one",
    )
    parser.add_argument("--docs", action="store_true", help="a line per document")
    parser.add_argument("--json", action="store_true", help="one JSON line for the record")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    regions = gazetteer.from_file()
    jio()  # load the library once, outside the timing
    splits = args.only or (list(SPLITS) if args.split == "all" else [args.split])
    reports = [run_split(split, regions, args.repeat) for split in splits]
    for report in reports:
        show(report, args.docs)
    if args.json:
        record = {
            "bench": "ingest",
            "date": dt.date.today().isoformat(),
            "splits": {
                r["split"]: {k: v for k, v in r.items() if k not in ("docs", "split")}
                for r in reports
            },
        }
        print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main()
