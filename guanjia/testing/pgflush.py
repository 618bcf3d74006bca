"""Let the test suite empty a PostgreSQL test database between transactional tests.

The audit log refuses TRUNCATE (core migration 0005). Django's `flush`, which ends every
transactional (live-server, browser) test, empties all tables with one TRUNCATE. In the test
process only, that flush disables the refusing trigger for its own transaction, as the
tables' owner may, and enables it again; the DDL is transactional, so the trigger is never off
for anyone else. Production never installs this.
"""

from typing import Any

AUDIT_TABLE = "core_auditentry"
TRIGGER = "core_auditentry_no_truncate"

_SWITCH = """
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{trigger}') THEN
        ALTER TABLE {table} {action} TRIGGER {trigger};
    END IF;
END $$;
"""


def install() -> None:
    """Wrap PostgreSQL's sql_flush (idempotent; nothing to do on SQLite)."""
    from django.conf import settings

    if all(db["ENGINE"] != "django.db.backends.postgresql" for db in settings.DATABASES.values()):
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "_guanjia_audit", False):
        return

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if not statements or AUDIT_TABLE not in tables:
            return statements
        return [
            _SWITCH.format(trigger=TRIGGER, table=AUDIT_TABLE, action="DISABLE"),
            *statements,
            _SWITCH.format(trigger=TRIGGER, table=AUDIT_TABLE, action="ENABLE"),
        ]

    sql_flush._guanjia_audit = True  # type: ignore[attr-defined]
    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
