"""An optional read replica for the heavy, read-only figures (DATABASE_REPLICA_URL).

Only code that asks for it reads from the replica: the cockpit's figures call
`.using(read_alias())`, and a report is built inside `replica_reads()`. Nothing else does,
because a replica lags behind the primary: a user who has just saved something must see it on
the next page, so ordinary reads stay on "default". Writes always go to "default", and
migrations never run on the replica (it is a copy of the primary, made by PostgreSQL's
streaming replication).

Without a replica configured `read_alias()` is "default" and the router is not installed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("guanjia_replica_reads", default=False)


def has_replica() -> bool:
    return REPLICA in connections.settings


def read_alias() -> str:
    """Where to read figures that may be a few seconds stale: the replica if there is one."""
    return REPLICA if has_replica() else DEFAULT_DB_ALIAS


@contextmanager
def replica_reads() -> Iterator[str]:
    """Within the block, reads the router sees (plain `Model.objects…`) go to `read_alias()`.

    For read-only work built from many querysets (a report). Writes still go to "default";
    do not read back in the block what was written in it.
    """
    token = _replica_reads.set(True)
    try:
        yield read_alias()
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """Listed in DATABASE_ROUTERS only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _replica_reads.get() and has_replica():
            return REPLICA
        return None  # Django's default: the instance's database, else "default"

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        both = {obj1._state.db or DEFAULT_DB_ALIAS, obj2._state.db or DEFAULT_DB_ALIAS}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
