"""Rate limits on the shared cache: a fixed-window counter per scope and client.

Limits are "count/seconds" strings in settings.GUANJIA_RATE_LIMITS. The counter lives in
the default cache (Redis when REDIS_URL is set, so every web worker shares it; otherwise
each process counts alone). A refused request gets 429 and Retry-After. While the cache is
down (a Redis outage, guanjia.core.cache) the window's count is kept in the database
(guanjia.core.models.RateCounter) instead: the limits hold through the outage.
"""

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.cache import CACHE_ERRORS, CacheUnavailable

from . import clientip


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def parse(rule: str) -> tuple[int, int]:
    """'600/60' → (600, 60)."""
    count, _sep, seconds = rule.partition("/")
    return int(count), int(seconds or "60")


def hit(scope: str, ident: str) -> Verdict:
    """Count one request by `ident` in `scope`; allowed while the window's count ≤ limit."""
    limit, window = parse(settings.GUANJIA_RATE_LIMITS[scope])
    now = time.time()
    start = int(now // window) * window
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"gj:rl:{scope}:{digest}:{start}"
    try:
        count = _count_in_cache(key, window)
    except (CacheUnavailable, *CACHE_ERRORS):  # type: ignore[misc]
        count = _count_in_db(key, start + window)
    retry_after = max(1, int(start + window - now + 0.999))
    return Verdict(count <= limit, limit, max(0, limit - count), retry_after)


def _count_in_cache(key: str, window: int) -> int:
    backend = caches["default"]
    cache = getattr(backend, "strict", backend)  # raises on a Redis error (core/cache.py)
    cache.add(key, 0, timeout=window + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


def _count_in_db(key: str, ends: float) -> int:
    """The window's count in the database (the cache is down): one row per key and window."""
    from guanjia.core.models import RateCounter

    expires = dt.datetime.fromtimestamp(ends + 1, tz=dt.UTC)
    if RateCounter.objects.filter(key=key).update(count=F("count") + 1) == 0:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, count=1, expires_at=expires)
            # A new window: the rows of windows past go.
            RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
            return 1
        except IntegrityError:  # another request made it first
            RateCounter.objects.filter(key=key).update(count=F("count") + 1)
    row = RateCounter.objects.filter(key=key).values_list("count", flat=True).first()
    return int(row or 1)


def client_ip(request: HttpRequest) -> str:
    """The address the lock-out also uses: the trusted proxy hops only (clientip.py)."""
    return clientip.client_ip(request) or "unknown"


def bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def classify(request: HttpRequest, login_paths: tuple[str, ...]) -> tuple[str, str] | None:
    """(scope, client) for a request that is rate-limited, else None."""
    path = request.path_info
    method = request.method or "GET"
    if method == "POST" and path in login_paths:
        return "login", "ip:" + client_ip(request)
    if path.startswith("/api/"):
        scope = "api_read" if method in ("GET", "HEAD", "OPTIONS") else "api_write"
        token = bearer(request)
        if token:
            return scope, "token:" + token
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return scope, f"user:{user.pk}"
        return scope, "ip:" + client_ip(request)
    # Open311 POSTs are counted by the view itself (guanjia.requests.open311.submit), on the
    # key that authenticated: only it knows which of the body's, the query string's and the
    # Authorization header's keys that is.
    return None


def message(verdict: Verdict) -> str:
    return _("Too many requests. Try again in %(seconds)d seconds.") % {
        "seconds": verdict.retry_after
    }


def with_headers(response: HttpResponse, verdict: Verdict) -> HttpResponse:
    """Retry-After and the X-RateLimit-* headers on a refusal."""
    response["Retry-After"] = str(verdict.retry_after)
    response["X-RateLimit-Limit"] = str(verdict.limit)
    response["X-RateLimit-Remaining"] = "0"
    return response


def refusal(request: HttpRequest, scope: str, verdict: Verdict) -> HttpResponse:
    """429 with Retry-After: the log-in page's refusal for log-ins, else the API's JSON
    ({"detail", "retry_after", "limit"}). Open311 answers in its own format (open311.py)."""
    if scope == "login":
        from django.template.loader import render_to_string

        body = render_to_string(
            "registration/locked_out.html",
            {"rate_limited": True, "retry_after": verdict.retry_after},
            request=request,
        )
        response = HttpResponse(body, status=429)
    else:
        data: Any = {
            "detail": message(verdict),
            "retry_after": verdict.retry_after,
            "limit": verdict.limit,
        }
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False), status=429, content_type="application/json"
        )
    return with_headers(response, verdict)
