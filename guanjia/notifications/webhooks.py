"""Outgoing webhooks: signed JSON POSTs, retried with exponential back-off.

What a receiver gets (one POST per event and endpoint):

    POST <endpoint url>
    Content-Type: application/json
    X-Guanjia-Event: request.escalated
    X-Guanjia-Delivery: 42          (the same on every retry: use it to drop duplicates)
    X-Guanjia-Timestamp: 1767225600 (Unix seconds when this attempt was sent)
    X-Guanjia-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

    {"event": "...", "title": "...", "body": "...", "url": "https://...",
     "recipients": [{"username": "...", "name": "..."}],
     "target": {"type": "projects.project", "id": "5"} or null, "created_at": "<ISO 8601>"}

Any 2xx answer means delivered; anything else (another status, a redirect, a timeout, a refused
connection) is retried after 30 s, 1 min, 2 min, ... until GUANJIA_WEBHOOK_MAX_ATTEMPTS tries
have failed. Delivery is at least once: a receiver should ignore a delivery id it has seen.

Claiming: an attempt first moves the row's `next_attempt_at` ahead by a lease with one
conditional UPDATE (only a pending row that is due matches), so the task that delivers a new
event and the retry sweep — or two sweeps — never send the same attempt twice. A worker that
dies mid-attempt leaves the lease to expire, and the sweep tries again.
"""

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.utils import timezone

from guanjia.core.versioned import Versioned

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

TIMEOUT_SECONDS = 10
# How long a claimed attempt holds its row; well above the request timeout.
LEASE = dt.timedelta(minutes=5)
# A sweep stops claiming after this long, so it ends before the next one is due.
SWEEP_BUDGET_SECONDS = 45
SWEEP_BATCH = 100


def max_attempts() -> int:
    return int(getattr(settings, "GUANJIA_WEBHOOK_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, 4 min, ..."""
    base = int(getattr(settings, "GUANJIA_WEBHOOK_RETRY_SECONDS", 30))
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def encode(payload: dict[str, Any]) -> bytes:
    """The request body exactly as sent and signed: compact UTF-8 JSON, Chinese kept as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Guanjia-Signature value for a body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    signature: str,
    *,
    max_age: int | None = 300,
) -> bool:
    """Check a received webhook; a receiving platform can copy this function as it is.

    `timestamp` and `signature` are the X-Guanjia-Timestamp and X-Guanjia-Signature headers,
    `body` the raw request body (bytes as received; a str is taken as its UTF-8 encoding).
    With `max_age` (seconds) a request stamped too far from now is refused, so a captured
    request cannot be replayed later. Needs only hashlib, hmac and time.
    """
    if isinstance(body, str):
        body = body.encode()
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if max_age is not None and abs(time.time() - sent) > max_age:
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    expected = f"sha256={mac.hexdigest()}"
    return hmac.compare_digest(expected.encode(), signature.encode())


# Whether any endpoint or robot is active, kept in the cache under a version every save or
# delete of one moves (connected in `apps.ready`): most notifications then need no query to
# learn there is nobody outside to tell. The rows themselves (their secrets) are not cached.
OUTSIDE = Versioned("outside", local=True)


def active_endpoints() -> list[WebhookEndpoint]:
    if not OUTSIDE.cached("webhooks", WebhookEndpoint.objects.filter(active=True).exists):
        return []
    return list(WebhookEndpoint.objects.filter(active=True))


def endpoints_for(
    kind: str, endpoints: list[WebhookEndpoint] | None = None
) -> list[WebhookEndpoint]:
    """The active endpoints that want events of this kind (from `endpoints` when given)."""
    if endpoints is None:
        endpoints = active_endpoints()
    return [e for e in endpoints if e.wants(kind)]


def queue(
    kind: str, payload: dict[str, Any], endpoints: list[WebhookEndpoint] | None = None
) -> list[WebhookDelivery]:
    """Create a pending delivery per interested endpoint (call inside the event's transaction)."""
    wanted = endpoints_for(kind, endpoints)
    if not wanted:
        return []
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint, notification_kind=kind, payload=payload, next_attempt_at=now
            )
            for endpoint in wanted
        ]
    )


def claim(delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Take a due pending delivery for one attempt; None if it is not due or already taken."""
    now = now or timezone.now()
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def attempt(delivery: WebhookDelivery) -> str:
    """Send a claimed delivery once and record the outcome; returns the new status."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _finish(delivery, ok=False, status=None, error="endpoint deactivated", final=True)
    body = encode(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Guanjia-Webhook/1",
        "X-Guanjia-Event": delivery.notification_kind,
        "X-Guanjia-Delivery": str(delivery.pk),
        "X-Guanjia-Timestamp": timestamp,
        "X-Guanjia-Signature": sign(endpoint.secret, timestamp, body),
    }
    try:
        status: int | None = _post(endpoint.url, body, headers)
        error = ""
    except urllib.error.HTTPError as exc:  # a non-2xx answer, redirects included
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        status, error = None, f"{type(exc).__name__}: {reason}"
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok and not error:
        error = f"HTTP {status}"
    return _finish(delivery, ok=ok, status=status, error=error)


def sweep() -> int:
    """Claim and try every due pending delivery (the periodic retry); returns how many tried."""
    started = time.monotonic()
    tried = 0
    for pk in (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ):
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break  # the rest stay due for the next sweep
        # Claim each one right before sending it, so the lease covers just this attempt.
        delivery = claim(pk)
        if delivery is not None:
            attempt(delivery)
            tried += 1
    return tried


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver must answer itself: a redirect counts as a failure (and could leak data)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
        return int(response.status)


def _finish(
    delivery: WebhookDelivery,
    *,
    ok: bool,
    status: int | None,
    error: str,
    final: bool = False,
) -> str:
    now = timezone.now()
    delivery.attempts += 1
    delivery.response_status = status
    delivery.last_error = error[:2000]
    if ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif final or delivery.attempts >= max_attempts():
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "response_status",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery.status
