"""What every benchmark here shares: its own PostgreSQL database, Django set up on it, and
percentiles. The scripts run as `python bench/<name>.py`, so this imports as `benchlib`."""

import os
import sys
from pathlib import Path

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
