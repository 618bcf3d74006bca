"""Backups that can be proven: the database (pg_dump's custom format on PostgreSQL, `VACUUM
INTO` on SQLite), the private files (attachments, reports) as a tar archive, and a manifest
with every table's row count and a checksum of its ordered content. `restore` puts both back
and checks the restored tables against the manifest, so a backup is known good, not hoped.

A backup is a folder:

    manifest.json       tables {name: {"rows": n, "sha256": …}}, engine, time, version
    database.dump       PostgreSQL (pg_restore reads it), or
    database.sqlite3    SQLite (a consistent copy made by the database itself)
    private.tar.gz      the private store (GUANJIA_PRIVATE_ROOT, or STORAGES["private"]),
                        read and written through the storage API (omitted when it is empty)
"""

import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.db import connection, connections
from django.utils import timezone

from guanjia.core import files

MANIFEST = "manifest.json"
FETCH = 2000


class BackupError(Exception):
    """A backup or restore that cannot be done, or a restore that does not match."""


# ----------------------------------------------------------------------------- checksums


def _tables(conn: Any) -> list[str]:
    with conn.cursor() as cursor:
        names = conn.introspection.table_names(cursor)
    return sorted(n for n in names if not n.startswith("sqlite_"))


def _order_columns(conn: Any, table: str) -> list[str]:
    """Every column, primary key first: a total order even for tables without a key."""
    with conn.cursor() as cursor:
        columns = [c.name for c in conn.introspection.get_table_description(cursor, table)]
        key = conn.introspection.get_primary_key_column(cursor, table)
    return ([key] if key else []) + [c for c in columns if c != key]


def _rows(conn: Any, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    quote = conn.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    sql = f"SELECT {cols} FROM {quote(table)} ORDER BY {cols}"  # noqa: S608 (introspected names)
    with conn.chunked_cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def _canonical(value: Any) -> str:
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(dt.UTC).isoformat()
    return repr(value)


def checksums(alias: str = "default") -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "sha256": digest of its rows in a fixed order}} for every table."""
    conn = connections[alias]
    out: dict[str, dict[str, Any]] = {}
    for table in _tables(conn):
        digest = hashlib.sha256()
        count = 0
        for row in _rows(conn, table, _order_columns(conn, table)):
            digest.update("\x1f".join(_canonical(v) for v in row).encode())
            digest.update(b"\x1e")
            count += 1
        out[table] = {"rows": count, "sha256": digest.hexdigest()}
    return out


# ----------------------------------------------------------------------------- backup


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[:2000]}")


def backup(target: Path) -> dict[str, Any]:
    """Write a backup folder at `target` (made; must be empty) and return its manifest."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    db = connection.settings_dict
    # The manifest is read first, in one transaction with the dump's snapshot being the same
    # as far as the drills can tell: backups are taken when no import is running.
    manifest: dict[str, Any] = {
        "engine": connection.vendor,
        "created_at": timezone.now().isoformat(),
        "database": str(db["NAME"]),
        "tables": checksums(),
    }
    if connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             f"--file={target / 'database.dump'}", str(db["NAME"])],
            _pg_env(db),
        )  # fmt: skip
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target / "database.sqlite3")])
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    save_private(target / "private.tar.gz")
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def save_private(archive: Path) -> None:
    """Every file of the private store into a tar archive, read with `storage.open` (the store
    may be object storage); no archive when the store is empty."""
    store = files.private_store()
    names = list(files.walk(store))
    if not names:
        return
    with tarfile.open(archive, "w:gz") as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = store.size(name)
            try:
                info.mtime = int(store.get_modified_time(name).timestamp())
            except NotImplementedError:
                info.mtime = int(timezone.now().timestamp())
            with store.open(name, "rb") as stream:
                tar.addfile(info, stream)


def restore_private(archive: Path) -> None:
    """Put an archive's files back into the private store with `storage.save`, replacing a
    file of the same name; links, folders and names that climb out are skipped."""
    store = files.private_store()
    with tarfile.open(archive) as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if not member.isfile() or name.startswith(("/", "..")) or name == ".":
                continue
            stream = tar.extractfile(member)
            if stream is None:
                continue
            if store.exists(name):
                store.delete(name)
            store.save(name, File(stream, name=name))


# ----------------------------------------------------------------------------- restore


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a Guanjia backup")
    return dict(json.loads(path.read_text()))


def restore(source: Path, *, verify: bool = True) -> list[str]:
    """Replace the database (and the private files) with the backup at `source`; return the
    tables that differ from the manifest after the restore ([] when it is exact)."""
    manifest = read_manifest(source)
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"a {manifest['engine']} backup cannot go into {connection.vendor}")
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        connection.close()
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", f"--dbname={db['NAME']}", str(source / "database.dump")],
            _pg_env(db),
        )  # fmt: skip
    else:
        connection.close()
        shutil.copyfile(source / "database.sqlite3", str(db["NAME"]))
        for suffix in ("-wal", "-shm"):  # the old journal must not replay over the copy
            Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
    archive = source / "private.tar.gz"
    if archive.is_file():
        restore_private(archive)
    if not verify:
        return []
    now = checksums()
    return sorted(
        name
        for name in set(manifest["tables"]) | set(now)
        if manifest["tables"].get(name) != now.get(name)
    )
