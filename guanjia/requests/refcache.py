"""The direct line's reference data, kept in the cache between submissions: the categories
in use by code, the intake limits and the working calendar. They change rarely (an admin's
edit, a year's holidays loaded) and every submission reads them.

Kept under a version (`guanjia.core.versioned`) that every save or delete of a category, an
SLA policy, an intake limit or a calendar day moves (connected in `apps.ready`): an edit
shows on the next submission. Writes that bypass the signals call `REFERENCE.bump()`.
"""

from collections.abc import Callable
from typing import Any

from guanjia.core.versioned import Versioned

REFERENCE = Versioned("reqref", local=True)


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under the reference data's current version and `name`."""
    return REFERENCE.cached(name, compute)


def active_categories() -> dict[int, Any]:
    """The categories in use, by id."""
    from .models import Category

    return cached("categories", lambda: {c.pk: c for c in Category.objects.filter(active=True)})


def bump() -> None:
    REFERENCE.bump()


def watch() -> None:
    """Connect the signals that bump the version (once; `apps.ready`)."""
    from guanjia.worktime.models import CalendarDay

    from .models import Category, IntakeLimit, SlaPolicy

    REFERENCE.watch([Category, IntakeLimit, SlaPolicy, CalendarDay])
