"""Log lines that say when, how bad, where and for which request.

`RequestIdMiddleware` gives every request an id: the one nginx sent in `X-Request-ID` when it
is well formed (nginx's `$request_id`, 32 hex digits; docs/operations.md), else a new one. The
id is echoed in the response's `X-Request-ID` and carried by every log line written while the
request runs (`RequestIdFilter`), so a line in the log, the access log of nginx and the answer
a user quotes can be matched. `JsonFormatter` writes one JSON object a line
(`GUANJIA_LOG_JSON=1`); otherwise the lines are plain text with the same fields.

This module is imported by `settings.LOGGING`, before the apps are ready: it imports no model.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
# Letters, digits and - _ . : from 8 to 64 characters: nginx's $request_id, a UUID, most
# tracers' ids; anything else (too long, spaces, control characters) is replaced, never logged.
WELL_FORMED = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
NONE = "-"

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "guanjia_request", default=None
)


def current_request_id() -> str:
    request = _request.get()
    return getattr(request, "request_id", NONE) if request is not None else NONE


def _user_id(request: HttpRequest | None) -> str:
    """The signed-in user's id, only when the request has already loaded its user (a log
    line never makes a query of its own)."""
    user = getattr(request, "user", None) if request is not None else None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or type(wrapped).__name__ == "object":  # a lazy user not loaded yet
        return NONE
    pk = getattr(wrapped, "pk", None)
    return str(pk) if pk is not None else NONE


class RequestIdMiddleware:
    """First in MIDDLEWARE: the request's id for the log and the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if WELL_FORMED.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the response is closed (request_finished), not only while the view
        # runs: Django logs a 4xx or 5xx answer after the middleware has returned it.
        _request.set(request)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget_request(**kwargs: Any) -> None:
    _request.set(None)


request_finished.connect(_forget_request, dispatch_uid="guanjia.core.logs.forget_request")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        record.request_id = getattr(request, "request_id", NONE) if request else NONE
        record.user_id = _user_id(request)
        return True


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# The attributes every LogRecord has; anything else a caller passed in `extra` goes to JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    user_id, the exception's traceback if any, and whatever `extra` the caller gave."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NONE),
            "user_id": getattr(record, "user_id", NONE),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value if isinstance(value, int | float | bool | None) else str(value)
        return json.dumps(line, ensure_ascii=False)


def logging_config(level: str, as_json: bool) -> dict[str, Any]:
    """settings.LOGGING: every line through one console handler with the request's id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "guanjia.core.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "guanjia.core.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "json" if as_json else "plain",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # django-axes: failures and lock-outs (WARNING) are logged, successes are not.
            "axes": {"level": "WARNING"},
        },
    }
