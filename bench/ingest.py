"""make bench-ingest: precision and recall of the extracted figures over the labelled samples,
and the time per document.

The labels are tests/data/ingest/<name>.labels.json: every figure of the text as
[section, field, value], written down by reading it. A figure counts as found when the
extraction has the same section, field and value (as a multiset). The texts are
tests/data/ingest/*.txt (the bureau's samples from ../shared/samples are copied there)."""

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanjia.settings")

import django  # noqa: E402

django.setup()

from guanjia.ingest import gazetteer  # noqa: E402
from guanjia.ingest.extract import extract, figures, normalise  # noqa: E402
from guanjia.ingest.numbers import jio  # noqa: E402

LABELS = ROOT / "tests" / "data" / "ingest"
REPEAT = 20


def main() -> None:
    regions = gazetteer.from_file()
    jio()  # load the library once, outside the timing
    tp = fp = fn = 0
    times = []
    rows = []
    for label in sorted(LABELS.glob("*.labels.json")):
        name = label.name.removesuffix(".labels.json")
        source = LABELS / f"{name}.txt"  # every labelled text lives beside its labels
        text = normalise(source.read_text(encoding="utf-8"))
        data = json.loads(label.read_text(encoding="utf-8"))
        expected = Counter(tuple(row) for row in data["figures"])
        start = time.perf_counter()
        for _ in range(REPEAT):
            result = extract(text, regions=regions)
        got = Counter((section, key, value) for section, key, value, _start in figures(result))
        per_doc = (time.perf_counter() - start) / REPEAT
        times.append(per_doc)
        t = sum((got & expected).values())
        f, n = sum((got - expected).values()), sum((expected - got).values())
        tp, fp, fn = tp + t, fp + f, fn + n
        rows.append((name, sum(expected.values()), t, f, n, per_doc))
    print(f"{'document':32} {'labelled':>8} {'found':>6} {'wrong':>6} {'missed':>6} {'ms/doc':>8}")
    for name, labelled, t, f, n, per_doc in rows:
        print(f"{name:32} {labelled:8d} {t:6d} {f:6d} {n:6d} {per_doc * 1000:8.1f}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    mean = sum(times) / len(times) if times else 0.0
    print(
        f"precision {precision:.3f}  recall {recall:.3f}  figures {tp + fn}  "
        f"time per document {mean * 1000:.1f} ms (mean of {REPEAT} runs each)"
    )


if __name__ == "__main__":
    main()
