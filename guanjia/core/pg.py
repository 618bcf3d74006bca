"""PostgreSQL-only schema helpers for migrations (SQLite skips them)."""

from typing import Any

from django.contrib.postgres import operations as postgres_operations
from django.db.migrations.operations import AddIndex


def trigram_index(table: str, column: str, name: str) -> tuple[Any, Any]:
    """RunPython pair: a GIN trigram index on UPPER(column), which Django's icontains uses."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (UPPER("{column}") gin_trgm_ops)'
        )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return forwards, backwards


class AddIndexConcurrently(postgres_operations.AddIndexConcurrently):
    """AddIndex that builds the index with CREATE INDEX CONCURRENTLY on PostgreSQL (the table
    stays writable while it is built: requests keep coming in during a deploy) and as a plain
    CREATE INDEX elsewhere (SQLite has no CONCURRENTLY). Its migration sets `atomic = False`."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def concurrent_index(name: str, create: str) -> Any:
    """RunPython building a PostgreSQL-only index CONCURRENTLY (the table stays writable): for
    an index SQLite cannot express (`DESC NULLS LAST` in an index), kept out of the model's
    Meta so that SQLite's table rebuilds never try it. `create` is the statement after
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON"; the migration sets `atomic = False`."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON {create}')

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')

    return migrations.RunPython(forwards, backwards, atomic=False, elidable=False)
