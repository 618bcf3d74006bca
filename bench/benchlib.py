"""What every benchmark here shares: its own PostgreSQL database, Django set up on it, and
percentiles. The scripts run as `python bench/<name>.py`, so this imports as `benchlib`."""

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_database(base: str, suffix: str, *, fresh: bool = False) -> str:
    """The URL of the benchmark's own database next to DATABASE_URL's (…/test gives
    test_<suffix>_bench), created if missing and dropped first when `fresh`."""
    import dj_database_url
    import psycopg

    if not base.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    cfg = dj_database_url.parse(base)
    stem = (cfg["NAME"] or "postgres").removesuffix("_bench")
    name = f"{stem}_{suffix}_bench" if suffix else f"{stem}_bench"
    # The maintenance database: the one DATABASE_URL names need not exist.
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def setup_django(db_url: str, *, tasks: str = "immediate") -> None:
    """Django on the benchmark's database; mail goes nowhere, static files are not needed."""
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanjia.settings")
    os.environ["TASKS_BACKEND"] = tasks
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here
    django.setup()


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank), rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


BIG_SORT = 5000  # a Sort fed more rows than this (estimated) sorts a whole scope


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _plan_nodes(child)
    return found


def check_plan(sql_plan: str, *, tables: tuple[str, ...], indexes: tuple[str, ...] = ()) -> dict:
    """What a JSON plan reads: the indexes, any Seq Scan over `tables`, any Sort of more than
    BIG_SORT rows; `ok` when none of those and (if `indexes`) one of `indexes` is read."""
    plan = json.loads(sql_plan)[0]["Plan"]
    nodes = _plan_nodes(plan)
    used = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
    seq = sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"} & set(tables))
    sorts = [
        int(child["Plan Rows"])
        for n in nodes
        if n["Node Type"] in ("Sort", "Incremental Sort")
        for child in n.get("Plans", [])
    ]
    big = [r for r in sorts if r > BIG_SORT]
    ok = not seq and not big and (not indexes or bool(set(indexes) & set(used)))
    return {"indexes": used, "seq_scans": seq, "sort_rows": sorts, "ok": ok}
