"""Answers kept in the shared cache under a version that every change to their rows moves,
so a cached answer is never stale (the pattern of `guanjia.parks.landcache`, for any data).

A `Versioned("name")` keeps its version in the cache (shared by every process where the
cache is Redis). `watch(models)` connects save and delete signals that bump it — at once and
again when the transaction commits, so an answer computed from rows not yet committed is not
kept under the version readers see afterwards. Writes that bypass the signals (a queryset's
`update()`, `bulk_create`) call `bump()` themselves. Correctness comes from the key; `ttl`
bounds memory and, should the cache be down while the rows change (the bumps are lost then),
how long an older answer can be served after it is back.

`local=True` also keeps the answer in the process, under the same version (at most `ttl`
seconds): a reader then asks the cache for the version only, not for the answer and its
unpickling. A version is never reused — a new one (after the cache was emptied, or while it
is down) is a random number, not 1 again — so an answer kept in a process under a version
is the one every reader of that version gets. Only for small answers that are read, never
changed, by their callers (the objects are shared by the process's requests).
"""

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save


def _fresh() -> int:
    """A version no earlier one equals (the cache emptied, its count lost)."""
    return secrets.randbits(48) + 2


class Versioned:
    def __init__(self, name: str, ttl: int = 300, *, local: bool = False) -> None:
        self.name = name
        self.ttl = ttl
        self.version_key = f"gj:{name}:version"
        self.local = local
        # key → (version, monotonic deadline, answer): the latest version's answer only.
        self._here: dict[str, tuple[int, float, Any]] = {}

    def version(self) -> int:
        value = cache.get(self.version_key)
        if value is None:
            value = _fresh()
            cache.add(self.version_key, value, timeout=None)
            value = cache.get(self.version_key) or value
        return int(value)

    def _incr(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:  # not there (emptied): a new version, unlike any read before
            cache.set(self.version_key, _fresh(), timeout=None)

    def bump(self, using: str | None = None, **_kwargs: Any) -> None:
        """The rows changed: the next reader computes afresh (now, and once committed)."""
        self._incr()
        transaction.on_commit(self._incr, using=using)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, kept under the current version and `key`."""
        version = self.version()
        if self.local:
            held = self._here.get(key)
            if held is not None and held[0] == version and held[1] > time.monotonic():
                return held[2]
        full = f"gj:{self.name}:{version}:{key}"
        value = cache.get(full)
        if value is None:
            value = compute()
            cache.set(full, value, timeout=self.ttl)
        if self.local:
            self._here[key] = (version, time.monotonic() + self.ttl, value)
        return value

    def watch(self, senders: Iterable[type[models.Model]]) -> None:
        """Bump on every save and delete of these models (once; `apps.ready`)."""
        for model in senders:
            uid = f"{self.name}-{model._meta.label}"
            post_save.connect(self.bump, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(self.bump, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
