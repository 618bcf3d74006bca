"""Answers kept in the shared cache under a version that every change to their rows moves,
so a cached answer is never stale (the pattern of `guanjia.parks.landcache`, for any data).

A `Versioned("name")` keeps its version in the cache (shared by every process where the
cache is Redis). `watch(models)` connects save and delete signals that bump it — at once and
again when the transaction commits, so an answer computed from rows not yet committed is not
kept under the version readers see afterwards. Writes that bypass the signals (a queryset's
`update()`, `bulk_create`) call `bump()` themselves. Correctness comes from the key; `ttl`
bounds memory and, should the cache be down while the rows change (the bumps are lost then),
how long an older answer can be served after it is back.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save


class Versioned:
    def __init__(self, name: str, ttl: int = 300) -> None:
        self.name = name
        self.ttl = ttl
        self.version_key = f"gj:{name}:version"

    def version(self) -> int:
        value = cache.get(self.version_key)
        if value is None:
            value = 1
            cache.add(self.version_key, value, timeout=None)
            value = cache.get(self.version_key) or value
        return int(value)

    def _incr(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:  # not there (emptied): any value but 1 differs from what was read
            cache.set(self.version_key, 2, timeout=None)

    def bump(self, using: str | None = None, **_kwargs: Any) -> None:
        """The rows changed: the next reader computes afresh (now, and once committed)."""
        self._incr()
        transaction.on_commit(self._incr, using=using)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, kept under the current version and `key`."""
        full = f"gj:{self.name}:{self.version()}:{key}"
        value = cache.get(full)
        if value is None:
            value = compute()
            cache.set(full, value, timeout=self.ttl)
        return value

    def watch(self, senders: Iterable[type[models.Model]]) -> None:
        """Bump on every save and delete of these models (once; `apps.ready`)."""
        for model in senders:
            uid = f"{self.name}-{model._meta.label}"
            post_save.connect(self.bump, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(self.bump, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
