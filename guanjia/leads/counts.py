"""Counts of a filtered set of leads (the list's total, the board's columns), cached honestly.

Counting 200,000 leads costs more than the rest of a page (bench/leads.py), so the counts are
cached under a version read from three index lookups, as the ledger's summary is: the audit
log's high-water mark (every audited change, deletions included) and the leads' latest
`updated_at` and id (any lead saved or added). A change means a new key, so a cached count is
never stale; today's date is in the key (the "stale" filter moves with it)."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guanjia.core.models import AuditEntry

from .models import Lead

TTL = 600  # seconds; correctness comes from the key, this only bounds memory


_read_once: ContextVar[dict[str, tuple[Any, ...]] | None] = ContextVar("lead_counts", default=None)


@contextmanager
def one_version() -> Iterator[None]:
    """Within the block the version is read once, not once a count: for a page that only
    reads (the list, the board) and counts several times (its filters' choices, its columns).
    Nothing in the block may change leads."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


def _version() -> tuple[Any, ...]:
    memo = _read_once.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    audit, lead = AuditEntry._meta.db_table, Lead._meta.db_table  # our own tables
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {audit}), (SELECT MAX(updated_at) FROM {lead}),"  # noqa: S608
            f" (SELECT MAX(id) FROM {lead})"
        )
        version = tuple(cursor.fetchone() or ())
    if memo is not None:
        memo["version"] = version
    return version


def _cached(kind: str, qs: QuerySet[Lead], compute: Any) -> Any:
    sql = str(qs.order_by().query)
    raw = f"{_version()}|{timezone.localdate()}|{kind}|{sql}"
    key = "lead-counts:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, TTL)
    return found


def count(qs: QuerySet[Lead]) -> int:
    """How many leads `qs` holds."""
    if qs.query.is_empty():
        return 0
    return int(_cached("count", qs, lambda: qs.order_by().count()))


def by_status(qs: QuerySet[Lead], statuses: list[str]) -> dict[str, int]:
    """How many leads of `qs` are in each of `statuses` (one scan)."""
    if qs.query.is_empty():
        return dict.fromkeys(statuses, 0)

    def compute() -> dict[str, int]:
        return qs.order_by().aggregate(
            **{str(s): Count("pk", filter=Q(status=s)) for s in statuses}
        )

    return dict(_cached("by-status:" + ",".join(statuses), qs, compute))


def distinct_ids(qs: QuerySet[Lead], column: str) -> list[int]:
    """The distinct non-null values of `column` (owner_id, region_id, department_id) among the
    leads of `qs`: the filters' choices ("owners of the leads you see"), cached as the counts."""

    def compute() -> list[int]:
        values = qs.order_by().exclude(**{column: None}).values_list(column, flat=True)
        return sorted(set(values.distinct()))

    return list(_cached(f"distinct:{column}", qs, compute))
