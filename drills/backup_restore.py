"""Drill: backup and restore round-trip with equal row counts and checksums of every table.

Run: .venv/bin/python drills/backup_restore.py [--engine postgresql|sqlite|both]

For each engine it makes a scratch database, migrates it and loads the Jinzhou demo, runs
`guanjia backup`, restores that backup into a second, empty database with `guanjia restore`
(which checks every table's row count and ordered-content checksum against the backup's
manifest), and compares the two databases' checksums once more from outside. PostgreSQL uses
127.0.0.1:5432 (databases drill_backup_src / drill_backup_dst, dropped afterwards); SQLite
uses temporary files. One JSON line per engine; exit status 1 if any check fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUANJIA = str(ROOT / ".venv" / "bin" / "guanjia")
PG = "postgres://postgres@127.0.0.1:5432"
TIMEOUT = 900


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603
        [GUANJIA, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"guanjia {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def checksums(env: dict[str, str]) -> dict[str, dict[str, object]]:
    code = "import json; from guanjia.core.backup import checksums; print(json.dumps(checksums()))"
    return json.loads(run(["shell", "-c", code], env).strip().splitlines()[-1])


def psql(sql: str) -> None:
    subprocess.run(  # noqa: S603
        ["psql", f"{PG}/postgres", "-q", "-c", sql],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=120,
    )


def drill(engine: str, work: Path) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    base.update(
        DJANGO_SETTINGS_MODULE="guanjia.settings",
        GUANJIA_PRIVATE_ROOT=str(work / "private-src"),
        GUANJIA_VAR_DIR=str(work),
        TASKS_BACKEND="db",
    )
    if engine == "postgresql":
        for name in ("drill_backup_src", "drill_backup_dst"):
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            psql(f'CREATE DATABASE "{name}"')
        src = base | {"DATABASE_URL": f"{PG}/drill_backup_src"}
        dst = base | {"DATABASE_URL": f"{PG}/drill_backup_dst"}
    else:
        src = base | {"SQLITE_PATH": str(work / "src.sqlite3")}
        dst = base | {"SQLITE_PATH": str(work / "dst.sqlite3")}
    dst["GUANJIA_PRIVATE_ROOT"] = str(work / "private-dst")
    t0 = time.perf_counter()
    run(["migrate", "--no-input", "-v", "0"], src)
    run(["load_demo"], src)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run(["backup", str(work / "backup")], src)
    backup_s = time.perf_counter() - t0
    if engine == "sqlite":
        run(["migrate", "--no-input", "-v", "0"], dst)  # an existing database is replaced
    t0 = time.perf_counter()
    out = run(["restore", str(work / "backup"), "--yes"], dst)
    restore_s = time.perf_counter() - t0
    manifest = json.loads((work / "backup" / "manifest.json").read_text())
    same = checksums(src) == checksums(dst) == manifest["tables"]
    files_src = sorted(
        p.relative_to(work / "private-src") for p in (work / "private-src").rglob("*")
    )
    files_dst = sorted(
        p.relative_to(work / "private-dst") for p in (work / "private-dst").rglob("*")
    )
    if engine == "postgresql":
        for name in ("drill_backup_src", "drill_backup_dst"):
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    size = sum(p.stat().st_size for p in (work / "backup").iterdir())
    return {
        "drill": "backup_restore",
        "engine": engine,
        "tables": len(manifest["tables"]),
        "rows": sum(t["rows"] for t in manifest["tables"].values()),
        "private_files": len(files_src),
        "backup_mb": round(size / 1024 / 1024, 1),
        "setup_s": round(setup_s, 1),
        "backup_s": round(backup_s, 1),
        "restore_s": round(restore_s, 1),
        "restore_said": out.strip().splitlines()[-1],
        "verdict": "pass" if same and files_src == files_dst else "FAIL",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args()
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    failed = False
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix=f"guanjia-drill-{engine}-") as tmp:
            result = drill(engine, Path(tmp))
        print(json.dumps(result, ensure_ascii=False))
        failed |= result["verdict"] != "pass"
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
