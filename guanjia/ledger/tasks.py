"""The import tasks moved to guanjia.core.sheets.jobs (one background job for every kind of
import); these names stay for the code and tests that still import them from here."""

from guanjia.core.sheets.jobs import (
    commit_import,
    fail_abandoned,
    fail_abandoned_imports,
    keep_alive,
    lease_cutoff,
    mark_abandoned,
    start_commit,
    validate_import,
)

__all__ = [
    "commit_import",
    "fail_abandoned",
    "fail_abandoned_imports",
    "keep_alive",
    "lease_cutoff",
    "mark_abandoned",
    "start_commit",
    "validate_import",
]
