"""The labelled ingest corpus is well-formed: every text has its labels, the labels parse and
name only sections and fields the extractor produces, and the held-out part is big enough.

This is not a test of extraction quality: `make bench-ingest` measures that."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "ingest" / "corpus"
SPLITS = ("tune", "heldout")

# What guanjia.ingest.extract produces, per section (fields with a span, as figures() lists
# them), plus a milestone's kind, which the benchmark scores for the corpus.
FIELDS = {
    "events": {
        "date",
        "name",
        "place",
        "region",
        "city_count",
        "enterprise_count",
        "signing_count",
        "investment_yuan",
    },
    "signings": {"region", "enterprise", "project", "project_count", "investment_yuan"},
    "milestones": {"project", "kind", "date", "region", "enterprise", "investment_yuan"},
    "service_stats": {
        "date",
        "steward_count",
        "service_count",
        "requests_resolved",
        "satisfaction_rate",
    },
    "targets": {"value", "value_yuan"},
    "totals": {"value", "value_yuan"},
    "issues": {"project", "region", "cause", "planned_from", "planned_to"},
}
KINDS = {"started", "in_operation", "grid_connected", "full_capacity", "completed"}
REGIONS = json.loads(
    (
        Path(__file__).resolve().parent.parent
        / "guanjia"
        / "regions"
        / "data"
        / "liaoning-jinzhou.json"
    ).read_text(encoding="utf-8")
)["regions"]
REGION_NAMES = {r["name"] for r in REGIONS if not r.get("abolished_on")}
NUMBER = re.compile(r"^\d+(\.\d+)?$")


def texts(split):
    return sorted((CORPUS / split).glob("*.txt"))


def labelled(split):
    return sorted((CORPUS / split).glob("*.labels.json"))


@pytest.mark.parametrize("split", SPLITS)
def test_every_text_has_labels_and_every_label_a_text(split):
    names = {p.name.removesuffix(".txt") for p in texts(split)}
    labels = {p.name.removesuffix(".labels.json") for p in labelled(split)}
    assert names == labels
    assert all(p.read_text(encoding="utf-8").strip() for p in texts(split))


def test_the_corpus_is_large_enough_and_the_parts_do_not_overlap():
    tune, heldout = len(texts("tune")), len(texts("heldout"))
    assert heldout >= 50
    assert tune + heldout >= 104
    tune_texts = {p.read_text(encoding="utf-8") for p in texts("tune")}
    assert not tune_texts & {p.read_text(encoding="utf-8") for p in texts("heldout")}
    tune_names = {p.name for p in texts("tune")}
    assert not tune_names & {p.name for p in texts("heldout")}


def _check_value(section, field, value):
    if field in ("date",):
        dt.date.fromisoformat(value)
    elif field in ("planned_from", "planned_to"):
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value), value
    elif field == "kind":
        assert value in KINDS, value
    elif field == "region":
        assert value in REGION_NAMES, value
    elif field in ("investment_yuan", "value_yuan"):
        assert re.fullmatch(r"\d+", value), value  # whole yuan, no exponent
    elif field.endswith("_count") or field in ("requests_resolved", "value", "satisfaction_rate"):
        assert NUMBER.match(value), value
    else:
        assert value.strip() == value and value, value


@pytest.mark.parametrize("split", SPLITS)
def test_labels_parse_and_name_what_the_extractor_produces(split):
    for path in labelled(split):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("note", "").startswith("Voice:"), path.name
        if "published" in data:
            dt.date.fromisoformat(data["published"])
        assert data["figures"], path.name
        text = (path.parent / path.name.replace(".labels.json", ".txt")).read_text("utf-8")
        for row in data["figures"]:
            assert isinstance(row, list) and len(row) == 3, (path.name, row)
            section, field, value = row
            assert all(isinstance(x, str) for x in row), (path.name, row)
            assert field in FIELDS.get(section, ()), (path.name, row)
            _check_value(section, field, value)
            if field in ("name", "project", "enterprise", "cause", "place"):
                assert value in text, (path.name, row)  # names are written as in the text
