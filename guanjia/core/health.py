"""Liveness and readiness for a load balancer, and the prerequisites an admin should hear of.

`/healthz` says the process answers (nothing else is touched). `/readyz` runs the checks below
and answers 200 when every required one passes, else 503; its body is a terse JSON map of check
name → "ok" / "fail" (a warning is "warn"), never a version, a host name or an error text: the
reasons go to the log. Both are answered by `ProbeMiddleware` before the session, the log-in,
the rate limits, the host check and the HTTPS redirect, so a balancer probing by address over
plain HTTP gets the real answer. docs/operations.md describes them.
"""

import datetime as dt
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone

log = logging.getLogger("guanjia.health")

OK, FAIL, WARN = "ok", "fail", "warn"
PROBE_PATHS = ("/healthz", "/readyz")
# The heartbeat task (guanjia.core.tasks.heartbeat) is enqueued by the scheduler every minute;
# its ScheduledJob row's last_run_at is the scheduler's sign of life.
HEARTBEAT_TASK = "guanjia.core.tasks.heartbeat"


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], bool]
    required: bool = True


# ----------------------------------------------------------------------------- the checks


def database() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _ping(url: str) -> bool:
    import redis

    timeout = settings.GUANJIA_READY_TIMEOUT_SECONDS
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    finally:
        client.close()


def redis_servers() -> bool:
    """The cache's Redis and the task queue's (when it has its own), each pinged with a short
    timeout of its own: a Redis that does not answer must not hold the probe."""
    urls = {settings.REDIS_URL} if settings.REDIS_URL else set()
    if settings.TASKS_BACKEND == "rq":
        urls.add(str(settings.RQ_QUEUES["default"]["URL"]))
    return all(_ping(url) for url in urls)


def storage() -> bool:
    """The private store takes a small file and gives it back (this node's own probe file, so
    two nodes never race on one name)."""
    from .files import private_store

    store = private_store()
    name = f"health/readyz-{_node()}"
    if store.exists(name):
        store.delete(name)
    saved = store.save(name, ContentFile(b"ok"))
    try:
        with store.open(saved) as handle:
            return bool(handle.read() == b"ok")
    finally:
        store.delete(saved)


def _node() -> str:
    import os
    import socket
    import threading

    return f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"


def scheduler_age() -> dt.timedelta | None:
    """How long ago the scheduler last enqueued the heartbeat (None: never)."""
    from .models import ScheduledJob

    last = (
        ScheduledJob.objects.filter(name=HEARTBEAT_TASK)
        .values_list("last_run_at", flat=True)
        .first()
    )
    return None if last is None else timezone.now() - last


def scheduler() -> bool:
    age = scheduler_age()
    return age is not None and age.total_seconds() <= settings.GUANJIA_READY_SCHEDULER_SECONDS


def queue() -> bool:
    from .queue import oldest_age

    age = oldest_age()
    return age is None or age.total_seconds() <= settings.GUANJIA_READY_QUEUE_SECONDS


_fonts: tuple[float, bool] | None = None


def cjk_font() -> bool:
    """A Chinese font fontconfig can find (WeasyPrint draws the PDF reports with fontconfig's
    fonts: without one every character is an empty box). Asked once per 10 minutes."""
    global _fonts
    now = time.monotonic()
    if _fonts is None or now - _fonts[0] > 600:
        _fonts = (now, _find_cjk_font())
    return _fonts[1]


def _find_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        log.warning("fc-list (fontconfig) is not installed: cannot tell whether a Chinese font is")
        return False
    try:
        found = subprocess.run(  # noqa: S603
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        log.exception("fc-list failed")
        return False
    return bool(found.strip())


class FontMissing(RuntimeError):
    """A PDF asked for on a machine without a Chinese font: it is not drawn."""


def require_cjk_font() -> None:
    """Before a PDF is drawn: FontMissing (its text in the user's language) when fontconfig
    finds no Chinese font, so no report ever goes out with empty boxes for every character."""
    if not cjk_font():
        from django.utils.translation import gettext

        raise FontMissing(
            gettext(
                "No Chinese font is installed on the server, so the PDF cannot be drawn. "
                "An administrator installs fonts-noto-cjk (deploy/system-deps.sh)."
            )
        )


def warn_if_no_cjk_font() -> bool:
    """At start-up (the web server, the scheduler): a missing Chinese font is logged."""
    if cjk_font():
        return True
    log.warning(
        "No Chinese font is installed (fc-list :lang=zh finds none): PDF reports will show "
        "empty boxes. Install fonts-noto-cjk (deploy/system-deps.sh)."
    )
    return False


def checks() -> list[Check]:
    found = [Check("database", database)]
    if settings.REDIS_URL or settings.TASKS_BACKEND == "rq":
        found.append(Check("redis", redis_servers))
    found += [
        Check("storage", storage),
        Check("scheduler", scheduler),
        Check("queue", queue),
        # Not fatal: the pages work; the PDFs do not. Shown to admins too (admin index).
        Check("cjk_font", cjk_font, required=False),
    ]
    warn_only = set(settings.GUANJIA_READY_WARN_ONLY)
    return [Check(c.name, c.run, c.required and c.name not in warn_only) for c in found]


def readiness() -> tuple[bool, dict[str, str]]:
    """Every check's result, and whether the node is ready (every required check passed)."""
    results: dict[str, str] = {}
    ready = True
    for check in checks():
        try:
            passed = check.run()
        except Exception:
            log.exception("readiness check %s raised", check.name)
            passed = False
        if not passed:
            log.warning("readiness check %s failed", check.name)
        results[check.name] = OK if passed else (FAIL if check.required else WARN)
        ready = ready and (passed or not check.required)
    return ready, results


# ----------------------------------------------------------------------------- the answers


def _json(status: int, body: dict[str, str]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, separators=(",", ":")), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Django would log every 503 as an error, once per probe: the failing checks are logged
    # (above), once each.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _json(200, {"status": OK})


def readyz(request: HttpRequest) -> HttpResponse:
    ready, results = readiness()
    return _json(200 if ready else 503, {"status": OK if ready else FAIL, **results})


class ProbeMiddleware:
    """Answers /healthz and /readyz (GET or HEAD) before the rest of the stack sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info.rstrip("/")
        if path in PROBE_PATHS and request.method in ("GET", "HEAD"):
            return healthz(request) if path == "/healthz" else readyz(request)
        return self.get_response(request)
