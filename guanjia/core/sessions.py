"""Sessions in the database, read through the cache: Django's cached_db engine that keeps
working when the cache fails (SESSION_ENGINE = "guanjia.core.sessions").

Django's own cached_db already falls back to the database when a cache read fails, but a
failing cache write after that read, `exists` and `delete` raise. Here every cache call is
guarded: on an error the database, which always holds the session (written through), answers.
A session made before a Redis outage therefore survives it, and a log-in during it works.
"""

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from .cache import CACHE_ERRORS

logger = logging.getLogger("guanjia.cache")


class SessionStore(CachedDBStore):
    def _cache_call(self, op: str, default: Any, *args: Any) -> Any:
        try:
            return getattr(self._cache, op)(*args)  # type: ignore[attr-defined]
        except CACHE_ERRORS as exc:
            logger.warning("session cache %s failed (%s); using the database", op, exc)
            return default

    def load(self) -> dict[str, Any]:
        data = self._cache_call("get", None, self.cache_key)
        if data is None:
            s = self._get_session_from_db()  # type: ignore[attr-defined]
            if s:
                data = self.decode(s.session_data)
                self._cache_call(
                    "set", None, self.cache_key, data, self.get_expiry_age(expiry=s.expire_date)
                )
            else:
                data = {}
        return data  # type: ignore[no-any-return]

    def exists(self, session_key: str | None) -> bool:
        if session_key and self._cache_call("has_key", False, self.cache_key_prefix + session_key):
            return True
        return bool(session_key) and bool(super(CachedDBStore, self).exists(session_key or ""))

    def save(self, must_create: bool = False) -> None:
        super(CachedDBStore, self).save(must_create)
        session = self._session  # type: ignore[attr-defined]
        self._cache_call("set", None, self.cache_key, session, self.get_expiry_age())

    def delete(self, session_key: str | None = None) -> None:
        super(CachedDBStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("delete", None, self.cache_key_prefix + session_key)
