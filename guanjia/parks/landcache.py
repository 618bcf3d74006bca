"""The land's short cache (the map's data, the open GeoJSON): answers kept under a version
that every change to the land moves, so a cached answer is never stale.

The version lives in the cache (shared by every process where the cache is Redis, as in the
production profile). Every save or delete of a park, plot, standard building or substation,
and every change to a park's leading industries or incentives, bumps it (signals, connected
in `apps.ready`): the steps of the step engine save their row, so a reservation, a release, a
transfer or a lapse bumps it as an edit does. It is bumped at once and again when the
transaction commits, so an answer computed from rows not yet committed is not kept under the
version readers see afterwards. Writes that bypass the signals (a queryset's `update()`, a
batch of steps) call `bump()` themselves; none of the parks' writes do. Correctness comes
from the key; `TTL` bounds memory and, should Redis be down while the land changes (the bumps
are lost then), how long an older answer can be served after it is back.
"""

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "gj:land:version"
TTL = 300  # seconds


def version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        value = 1
        cache.add(VERSION_KEY, value, timeout=None)
        value = cache.get(VERSION_KEY) or value
    return int(value)


def _incr() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there (emptied): any value but 1 differs from what was read
        cache.set(VERSION_KEY, 2, timeout=None)


def bump(using: str | None = None, **_kwargs: Any) -> None:
    """The land changed: the next reader computes afresh (now, and once it is committed)."""
    _incr()
    transaction.on_commit(_incr, using=using)


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under the land's current version and `name`."""
    key = f"gj:land:{version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=TTL)
    return value


def watch() -> None:
    """Connect the signals that bump the version (once; `apps.ready`)."""
    from .models import Building, Park, Plot, Substation

    for model in (Park, Plot, Building, Substation):
        post_save.connect(bump, sender=model, dispatch_uid=f"land-{model.__name__}-save")
        post_delete.connect(bump, sender=model, dispatch_uid=f"land-{model.__name__}-delete")
    for through in (Park.industries.through, Park.incentives.through):
        m2m_changed.connect(bump, sender=through, dispatch_uid=f"land-{through.__name__}")
