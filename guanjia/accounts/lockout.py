"""How long a django-axes lock-out still lasts, for the lock-out answer's Retry-After."""

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.http import HttpRequest
from django.utils import timezone


def seconds_left(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Seconds until the failures that lock this log-in out (by account name or by address)
    fall out of the cool-off window; the whole cool-off when that cannot be told."""
    cool_off = get_cool_off(request)
    if cool_off is None:  # locked until an admin unlocks: ask again in an hour
        return 3600
    handler = AxesProxyHandler.get_implementation()
    if not hasattr(handler, "get_user_attempts"):  # a handler without attempt rows
        return max(1, math.ceil(cool_off.total_seconds()))
    limit = get_failure_limit(request, credentials)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    ends = []
    for attempts in handler.get_user_attempts(request, credentials):
        # Failures leave the window oldest first: the lock ends when the newest rows alone
        # no longer reach the limit, i.e. when the row that makes them reach it expires.
        total = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            total += failures
            if total >= limit:
                ends.append(attempt_time + cool_off)
                break
    left = (max(ends) - now) if ends else cool_off
    return max(1, math.ceil(left.total_seconds()))
