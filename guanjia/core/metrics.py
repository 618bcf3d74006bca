"""Prometheus metrics (prometheus-client), at `/metrics`, never public.

- `guanjia_http_requests_total{view,method,status}` and
  `guanjia_http_request_duration_seconds{view,method,status}`: every request but the probes
  and the scrape itself, labelled by the URL pattern's name (`projects:project_detail`, never
  the path: ids would make a series each), "<unresolved>" when no pattern matched;
- read from the database and the queue at each scrape, so every node reports the same:
  `guanjia_tasks_queued`, `guanjia_tasks_oldest_age_seconds`, and for each periodic task the
  last run's duration and age (`guanjia_periodic_last_duration_seconds{task}`,
  `guanjia_periodic_last_run_age_seconds{task}`: the SLA sweep is
  `guanjia.requests.tasks.sweep_requests`);
- the answering web worker's PostgreSQL pool (`guanjia_db_pool_connections{state}`,
  `guanjia_db_pool_requests_waiting`), with DB_POOL;
- the higher apps' figures registered in `figures`: the outbox (emails and webhook deliveries
  pending and failed) and the cockpit's rollups (age, last refresh's duration).

Who may read them: a request from the machine itself (loopback, not relayed by a proxy) or one
with `Authorization: Bearer <GUANJIA_METRICS_TOKEN>`; anyone else gets a 404, as for a page that
does not exist. With several gunicorn workers, set `PROMETHEUS_MULTIPROC_DIR` (an empty folder
of the web server's own; `guanjia serve` does) so a scrape adds up every worker's requests.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from .hooks import Hooks

log = logging.getLogger("guanjia.metrics")

PATH = "/metrics"
UNRESOLVED = "<unresolved>"
# Requests that measure the platform, not its users.
UNCOUNTED = ("/healthz", "/readyz", PATH)
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

REQUESTS = Counter(
    "guanjia_http_requests",
    "HTTP requests answered, by URL pattern name, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "guanjia_http_request_duration_seconds",
    "Time from the request entering Django to its response leaving, by URL pattern name.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Figures of higher apps, read at each scrape: each registered function (in its app's
# `ready()`) yields (metric name, help, labels, value); the outbox and the cockpit's rollups.
type Figure = tuple[str, str, dict[str, str], float]
figures: Hooks[Callable[[], Iterable[Figure]]] = Hooks("core.metrics.figures")


class MetricsMiddleware:
    """Counts and times every request (second in MIDDLEWARE, after the request id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.rstrip("/") in UNCOUNTED:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or UNRESOLVED) if match is not None else UNRESOLVED
        method = request.method if request.method in METHODS else "OTHER"
        labels = (view, method, str(response.status_code))
        REQUESTS.labels(*labels).inc()
        LATENCY.labels(*labels).observe(time.perf_counter() - started)
        return response


class PlatformCollector(Collector):
    """Figures read at each scrape from the queue and the scheduler's table."""

    def describe(self) -> list[Metric]:
        return []  # registered without a first collect (no query at import)

    def collect(self) -> Iterator[Metric]:
        from .models import ScheduledJob
        from .queue import waiting

        try:
            depth, since = waiting()
        except Exception:
            log.exception("metrics: the task queue could not be read")
        else:
            yield GaugeMetricFamily(
                "guanjia_tasks_queued", "Tasks ready to run and not yet taken.", value=depth
            )
            age = 0.0 if since is None else max(0.0, (timezone.now() - since).total_seconds())
            yield GaugeMetricFamily(
                "guanjia_tasks_oldest_age_seconds",
                "How long the oldest waiting task has waited (0: none waits).",
                value=age,
            )
        try:
            from .models import TaskOutbox

            kept = TaskOutbox.objects.count()
        except Exception:
            log.exception("metrics: the task outbox could not be read")
        else:
            yield GaugeMetricFamily(
                "guanjia_task_outbox_pending",
                "Tasks kept in the database while Redis was unreachable, not yet moved onto "
                "its queue (guanjia.core.taskoutbox).",
                value=kept,
            )
        try:
            rows = list(ScheduledJob.objects.values_list("name", "last_run_at", "last_duration"))
        except Exception:
            log.exception("metrics: the scheduled jobs could not be read")
            return
        duration = GaugeMetricFamily(
            "guanjia_periodic_last_duration_seconds",
            "How long a periodic task's last run took (the SLA sweep: "
            "guanjia.requests.tasks.sweep_requests).",
            labels=["task"],
        )
        age_of_run = GaugeMetricFamily(
            "guanjia_periodic_last_run_age_seconds",
            "Seconds since the scheduler last enqueued a periodic task (its lag when it grows "
            "past the task's interval).",
            labels=["task"],
        )
        now = timezone.now()
        for name, last_run_at, last_duration in rows:
            if last_duration is not None:
                duration.add_metric([name], last_duration)
            if last_run_at is not None:
                age_of_run.add_metric([name], max(0.0, (now - last_run_at).total_seconds()))
        yield duration
        yield age_of_run
        yield from self.pool_figures()
        yield from self.app_figures()

    def pool_figures(self) -> Iterator[Metric]:
        pool = _pool()
        if pool is None:
            return
        stats = pool.get_stats()
        connections = GaugeMetricFamily(
            "guanjia_db_pool_connections",
            "The answering web worker's PostgreSQL pool: connections open, idle, and its maximum.",
            labels=["state"],
        )
        connections.add_metric(["open"], stats.get("pool_size", 0))
        connections.add_metric(["idle"], stats.get("pool_available", 0))
        connections.add_metric(["max"], stats.get("pool_max", 0))
        yield connections
        yield GaugeMetricFamily(
            "guanjia_db_pool_requests_waiting",
            "Requests of the answering web worker waiting for a pooled connection.",
            value=stats.get("requests_waiting", 0),
        )

    def app_figures(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for key, figures_of in figures.items():
            try:
                for name, help_text, labels, value in figures_of():
                    if name not in families:
                        families[name] = GaugeMetricFamily(name, help_text, labels=list(labels))
                    samples[name].append((labels, value))
            except Exception:
                log.exception("metrics: %s failed", key)
        for name, family in families.items():
            for labels, value in samples[name]:
                family.add_metric(list(labels.values()), value)
            yield family


def _pool() -> Any:
    """This process's psycopg pool (DB_POOL), if it has opened one: never opened here."""
    from django.db import connections

    connection = connections["default"]
    return getattr(type(connection), "_connection_pools", {}).get(connection.alias)


PLATFORM = PlatformCollector()
REGISTRY.register(PLATFORM)


def registry() -> CollectorRegistry:
    """This process's metrics, or every worker's when PROMETHEUS_MULTIPROC_DIR is set."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    combined.register(PLATFORM)
    return combined


_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")


def _from_this_machine(request: HttpRequest) -> bool:
    """The peer is loopback and no proxy relayed the request (behind nginx every visitor
    arrives from 127.0.0.1, with X-Forwarded-For)."""
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return peer in _LOOPBACK_V4 or peer == ipaddress.ip_address("::1")


def _has_token(request: HttpRequest) -> bool:
    token = settings.GUANJIA_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def may_scrape(request: HttpRequest) -> bool:
    return _has_token(request) or _from_this_machine(request)


def metrics_view(request: HttpRequest) -> HttpResponseBase:
    if not may_scrape(request):
        return HttpResponseNotFound(b"", content_type="text/plain")
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class MetricsEndpointMiddleware:
    """Answers /metrics before the session, the host check and the HTTPS redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.rstrip("/") == PATH and request.method in ("GET", "HEAD"):
            return metrics_view(request)
        return self.get_response(request)
