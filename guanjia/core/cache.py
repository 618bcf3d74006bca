"""The shared cache on Redis, surviving a Redis outage.

`ResilientRedisCache` is Django's RedisCache whose errors (Redis stopped, unreachable, timing
out) are logged — at most one line per `LOG_EVERY` seconds per process, with the count of
errors since the last line — and treated as misses: a read returns its default, a write is
dropped. After an error the cache is skipped for `BACKOFF` seconds, so a page does not wait
on a dead connection for each of its cache calls. What must not silently lose its state
during an outage reads through to the database itself: the sessions (guanjia.core.sessions)
and the rate limits (guanjia.accounts.ratelimit, which calls `strict` to learn of the error).
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("guanjia.cache")

# The errors that mean "Redis is not there" (redis-py's; OSError for a socket that breaks).
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


class CacheUnavailable(Exception):
    """Raised by `strict` calls while the cache is down (or backing off after an error)."""


class _Outage:
    """Per-process state of the cache's health: when to try again, and the logging budget."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.retry_at = 0.0
        self.logged_at = 0.0
        self.unlogged = 0
        self.down = False


# Django makes a cache object per thread: the outage state is the process's, per server.
_OUTAGES: dict[str, _Outage] = {}
_OUTAGES_LOCK = threading.Lock()


def _outage_of(server: str) -> _Outage:
    with _OUTAGES_LOCK:
        return _OUTAGES.setdefault(server, _Outage())


class ReusedClients(RedisCacheClient):
    """Django's Redis client holder, keeping one `redis.Redis` per connection pool.

    Django builds a new `redis.Redis` for every cache call (`get_client`), and its
    constructor fills a table of ~150 response callbacks: about a third of a millisecond of
    CPU each time, paid by the session read and every cached figure of every request. The
    object holds no connection of its own (it borrows one from the pool for each command),
    so one per pool serves every call.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # RedisCacheClient's private helpers, untyped in django-stubs
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django._get_connection_pool(write)
            client = self._clients[index] = django._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    BACKOFF = 1.0  # seconds the cache is skipped after an error
    LOG_EVERY = 30.0  # seconds between two log lines about the outage

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        # A Redis that does not answer fails a request in half a second, not in minutes.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ReusedClients
        self._outage = _outage_of(str(server))

    # -- health -----------------------------------------------------------------------------
    def available(self) -> bool:
        return time.monotonic() >= self._outage.retry_at

    def _failed(self, op: str, exc: BaseException) -> None:
        state, now = self._outage, time.monotonic()
        with state.lock:
            state.retry_at = now + self.BACKOFF
            state.unlogged += 1
            first = not state.down
            state.down = True
            if first or now - state.logged_at >= self.LOG_EVERY:
                count, state.unlogged, state.logged_at = state.unlogged, 0, now
            else:
                return
        logger.warning(
            "cache unavailable, treated as a miss (%s: %s; %d errors since the last line)",
            op,
            exc.__class__.__name__,
            count,
        )

    def _recovered(self) -> None:
        state = self._outage
        if state.down:
            with state.lock:
                was_down, state.down = state.down, False
                count, state.unlogged = state.unlogged, 0
            if was_down:
                logger.warning("cache available again (%d errors since the last line)", count)

    def _guard(self, op: str, default: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.available():
            with self._outage.lock:
                self._outage.unlogged += 1
            return default
        try:
            result = call(*args, **kwargs)
        except CACHE_ERRORS as exc:
            self._failed(op, exc)
            return default
        self._recovered()
        return result

    def _strict(self, op: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.available():
            raise CacheUnavailable(op)
        try:
            result = call(*args, **kwargs)
        except CACHE_ERRORS as exc:
            self._failed(op, exc)
            raise CacheUnavailable(op) from exc
        self._recovered()
        return result

    @property
    def strict(self) -> "StrictView":
        """The same cache whose errors raise CacheUnavailable (for callers with a fallback)."""
        return StrictView(self)

    # -- the cache API, errors as misses ----------------------------------------------------
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guard("add", False, super().add, key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._guard("delete", False, super().delete, key, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._guard("has_key", False, super().has_key, key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        # A miss: as for an absent key, ValueError (callers of incr handle that already).
        if not self.available():
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        try:
            result = super().incr(key, delta, version)
        except CACHE_ERRORS as exc:
            self._failed("incr", exc)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc
        self._recovered()
        return result

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guard("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys: Any, version: Any = None) -> Any:
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self) -> Any:
        return self._guard("clear", False, super().clear)


class StrictView:
    """`cache.strict`: RedisCache's own methods on the same connection, raising
    CacheUnavailable instead of swallowing the error."""

    def __init__(self, cache: ResilientRedisCache) -> None:
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        method = getattr(RedisCache, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._cache._strict(name, method, self._cache, *args, **kwargs)

        return call
