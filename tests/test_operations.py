"""Health, readiness, metrics and log lines (docs/operations.md): what a load balancer, a
Prometheus scraper and an operator reading the log see, and what nobody else may."""

import datetime as dt
import io
import json
import logging
import re
import uuid

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guanjia.core import health
from guanjia.core.logs import JsonFormatter, RequestIdFilter, logging_config
from guanjia.core.models import ScheduledJob
from guanjia.core.scheduling import timed
from guanjia.core.tasks import heartbeat
from guanjia.requests.tasks import sweep_requests
from tests.conftest import PASSWORD

TOKEN = "t0ken-for-the-scraper-0123456789abcdef"  # noqa: S105


@pytest.fixture
def fonts(monkeypatch):
    """Whether fontconfig finds a Chinese font, decided by the test (no fc-list run)."""
    found = {"cjk": True}
    monkeypatch.setattr(health, "_fonts", None)
    monkeypatch.setattr(health, "_find_cjk_font", lambda: found["cjk"])
    return found


@pytest.fixture
def beating(db):
    """The scheduler enqueued its heartbeat a moment ago."""
    now = timezone.now()
    return ScheduledJob.objects.create(
        name=heartbeat.module_path, next_run_at=now + dt.timedelta(seconds=60), last_run_at=now
    )


def ready(client):
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def queued_task(waited: dt.timedelta) -> DBTaskResult:
    result = heartbeat.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - waited)
    return DBTaskResult.objects.get(pk=result.id)


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")  # no db fixture: any query would raise
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


# --- /readyz ----------------------------------------------------------------------------------


def test_readyz_is_200_when_every_check_passes(client, beating, fonts):
    status, body = ready(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
        "scheduler": "ok",
        "queue": "ok",
        "cjk_font": "ok",
    }


def test_readyz_fails_when_the_scheduler_heartbeat_is_stale(client, beating, fonts, settings):
    ScheduledJob.objects.filter(pk=beating.pk).update(
        last_run_at=timezone.now()
        - dt.timedelta(seconds=settings.GUANJIA_READY_SCHEDULER_SECONDS + 5)
    )
    status, body = ready(client)
    assert (status, body["status"], body["scheduler"]) == (503, "fail", "fail")
    assert body["database"] == body["queue"] == "ok"


def test_readyz_fails_when_no_scheduler_ever_ran(client, db, fonts):
    status, body = ready(client)
    assert (status, body["scheduler"]) == (503, "fail")


def test_readyz_fails_when_the_oldest_queued_task_waited_too_long(client, beating, fonts, settings):
    queued_task(dt.timedelta(seconds=settings.GUANJIA_READY_QUEUE_SECONDS - 30))
    status, body = ready(client)
    assert (status, body["queue"]) == (200, "ok")  # waiting, not yet late
    queued_task(dt.timedelta(seconds=settings.GUANJIA_READY_QUEUE_SECONDS + 30))
    status, body = ready(client)
    assert (status, body["queue"], body["scheduler"]) == (503, "fail", "ok")


def test_a_task_deferred_to_later_is_not_late(client, beating, fonts):
    result = heartbeat.using(run_after=timezone.now() + dt.timedelta(hours=2)).enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - dt.timedelta(days=1)
    )
    assert ready(client)[1]["queue"] == "ok"


def test_the_redis_queue_is_measured_like_the_database_one(settings):
    """With TASKS_BACKEND=rq the depth and the oldest wait come from the rq queue (Redis
    database 13, a queue of this test's own, as tests/test_task_recovery.py does)."""
    import django_rq

    from guanjia.core.queue import waiting

    name = f"readyz-{uuid.uuid4().hex[:8]}"
    settings.TASKS_BACKEND = "rq"
    settings.RQ_QUEUES = {name: {"URL": "redis://127.0.0.1:6379/13"}}
    queue = django_rq.get_queue(name)
    try:
        assert waiting(name) == (0, None)
        first = queue.enqueue("guanjia.core.tasks.heartbeat")
        queue.enqueue("guanjia.core.tasks.heartbeat")
        first.enqueued_at = timezone.now() - dt.timedelta(minutes=20)
        first.save()
        depth, since = waiting(name)
        assert depth == 2
        assert dt.timedelta(minutes=19) < timezone.now() - since < dt.timedelta(minutes=21)
    finally:
        queue.empty()


def test_readyz_fails_when_the_storage_is_not_writable(client, beating, fonts, settings, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the store's folder should be")
    settings.GUANJIA_PRIVATE_ROOT = blocked
    status, body = ready(client)
    assert (status, body["storage"]) == (503, "fail")


@pytest.mark.parametrize(
    ("url", "expected"),
    [("redis://127.0.0.1:6379/13", (200, "ok")), ("redis://127.0.0.1:1/0", (503, "fail"))],
)
def test_readyz_pings_redis_when_configured(client, beating, fonts, settings, url, expected):
    settings.REDIS_URL = url  # nothing listens on port 1
    status, body = ready(client)
    assert (status, body["redis"]) == expected
    assert body["database"] == "ok"


def test_a_missing_chinese_font_is_a_warning_not_a_failure(client, beating, fonts, caplog):
    fonts["cjk"] = False
    status, body = ready(client)
    assert (status, body["status"], body["cjk_font"]) == (200, "ok", "warn")
    with caplog.at_level(logging.WARNING, logger="guanjia.health"):
        assert health.warn_if_no_cjk_font() is False
    assert "No Chinese font is installed" in caplog.text


def test_checks_named_warn_only_do_not_make_the_node_unready(client, db, fonts, settings):
    settings.GUANJIA_READY_WARN_ONLY = ["scheduler", "queue"]
    status, body = ready(client)
    assert (status, body["scheduler"]) == (200, "warn")


def test_readyz_reveals_no_error_host_or_version(client, beating, fonts, monkeypatch, caplog):
    secret = "could not connect to server db-7.internal.example (10.2.3.4) port 5432"

    def down() -> bool:
        raise OperationalError(secret)

    monkeypatch.setattr(health, "database", down)
    with caplog.at_level(logging.WARNING, logger="guanjia.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert re.fullmatch(r'\{("[a-z_]+":"(ok|fail|warn)",?)+\}', body), body
    assert json.loads(body)["database"] == "fail"
    assert "Server" not in response.headers
    assert secret in caplog.text  # the reason is in the log, for the operator


def test_with_the_database_down_readyz_is_503_and_healthz_still_200(client, beating, fonts):
    """The outage as tests/test_db_down.py simulates it: every query fails like psycopg's."""
    from unittest import mock

    from django.db.backends.utils import CursorWrapper

    refused = OperationalError("connection to server at 10.2.3.4, port 5432 failed")
    with mock.patch.object(CursorWrapper, "execute", side_effect=refused):
        live = client.get("/healthz")
        response = client.get("/readyz")
    assert live.status_code == 200
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"] == "fail" and body["storage"] == "ok"
    assert "10.2.3.4" not in response.content.decode()
    assert ready(client)[0] == 200  # back when the database is


def test_probes_pass_the_host_check_https_redirect_and_log_in(client, beating, fonts, settings):
    """A load balancer probes by address over plain HTTP, without a session."""
    settings.ALLOWED_HOSTS = ["guanjia.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.5:8000")
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400  # the rest: checked


# --- /metrics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "headers", "token", "expected"),
    [
        ("127.0.0.1", {}, "", 200),  # the scraper on the machine
        ("::1", {}, "", 200),
        ("203.0.113.9", {}, "", 404),  # anyone else
        ("203.0.113.9", {}, TOKEN, 404),  # a token is configured but not sent
        ("203.0.113.9", {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, TOKEN, 200),
        ("203.0.113.9", {"HTTP_AUTHORIZATION": "Bearer wrong"}, TOKEN, 404),
        ("203.0.113.9", {"HTTP_AUTHORIZATION": "Bearer "}, "", 404),  # no token configured
        # Through nginx every visitor arrives from 127.0.0.1: a relayed request is not local.
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "", 404),
        ("127.0.0.1", {"HTTP_X_REAL_IP": "203.0.113.9"}, "", 404),
    ],
)
def test_metrics_are_never_public(client, db, settings, remote, headers, token, expected):
    settings.GUANJIA_METRICS_TOKEN = token
    response = client.get("/metrics", REMOTE_ADDR=remote, **headers)
    assert response.status_code == expected
    if expected == 404:
        assert b"guanjia_" not in response.content


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.partition("}")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_view_and_status(client, users):
    before = (
        _sample(
            client.get("/metrics").content.decode(),
            "guanjia_http_requests_total",
            view="login",
            method="GET",
            status="200",
        )
        or 0
    )
    client.get(reverse("login"))
    client.get(reverse("login"))
    client.get("/no-such-page/")
    text = client.get("/metrics").content.decode()
    assert (
        _sample(text, "guanjia_http_requests_total", view="login", method="GET", status="200")
        == before + 2
    )
    assert _sample(text, "guanjia_http_requests_total", view="<unresolved>", status="404")
    assert (
        _sample(text, "guanjia_http_request_duration_seconds_count", view="login", status="200")
        >= 2
    )
    # The probes and the scrape are not counted; nor is any path (ids would explode).
    assert 'view="/' not in text and "healthz" not in text


def test_metrics_show_the_queue_and_the_sla_sweep(client, beating):
    queued_task(dt.timedelta(seconds=90))
    ScheduledJob.objects.create(name=sweep_requests.module_path, next_run_at=timezone.now())
    with timed(sweep_requests):
        pass
    text = client.get("/metrics").content.decode()
    assert _sample(text, "guanjia_tasks_queued") == 1
    assert 85 <= _sample(text, "guanjia_tasks_oldest_age_seconds") < 200
    duration = _sample(
        text, "guanjia_periodic_last_duration_seconds", task=sweep_requests.module_path
    )
    assert duration is not None and 0 <= duration < 5
    assert _sample(text, "guanjia_periodic_last_run_age_seconds", task=heartbeat.module_path) < 60


def test_metrics_show_the_outbox_and_the_rollups(client, users):
    from guanjia.cockpit.models import RefreshState
    from guanjia.notifications.models import Notification

    for status in ("pending", "pending", "failed", "sent"):
        Notification.objects.create(
            recipient=users["steward"], kind="test", title="t", email_status=status
        )

    RefreshState.objects.create(
        key="rollups", refreshed_at=timezone.now() - dt.timedelta(minutes=2), seconds=1.5
    )
    text = client.get("/metrics").content.decode()
    assert _sample(text, "guanjia_outbox_emails", status="pending") == 2
    assert _sample(text, "guanjia_outbox_emails", status="failed") == 1
    assert _sample(text, "guanjia_webhook_deliveries", status="failed") == 0
    assert 115 < _sample(text, "guanjia_rollup_age_seconds", rollup="rollups") < 200
    assert _sample(text, "guanjia_rollup_refresh_seconds", rollup="rollups") == 1.5


def test_metrics_show_the_database_pool_when_there_is_one(client, db, monkeypatch):
    from guanjia.core import metrics

    assert "guanjia_db_pool" not in client.get("/metrics").content.decode()  # SQLite: none

    class Pool:
        def get_stats(self) -> dict[str, int]:
            return {"pool_size": 4, "pool_available": 1, "pool_max": 8, "requests_waiting": 2}

    monkeypatch.setattr(metrics, "_pool", Pool)
    text = client.get("/metrics").content.decode()
    assert _sample(text, "guanjia_db_pool_connections", state="open") == 4
    assert _sample(text, "guanjia_db_pool_connections", state="idle") == 1
    assert _sample(text, "guanjia_db_pool_requests_waiting") == 2


# --- request ids and log lines ----------------------------------------------------------------


@pytest.fixture
def log_lines():
    """The lines the root logger writes, formatted as with GUANJIA_LOG_JSON=1."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_every_response_carries_a_request_id_that_its_log_lines_carry(client, db, log_lines):
    response = client.get("/no-such-page/")  # Django logs "Not Found" at WARNING
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["request_id"] == request_id
    assert line["level"] == "WARNING"
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None
    assert client.get("/no-such-page/")["X-Request-ID"] != request_id


def test_the_request_id_from_nginx_is_kept_when_well_formed(client, db, log_lines):
    from_nginx = "5f2b0c9e8d7a6b5c4d3e2f1a0b9c8d7e"
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=from_nginx)
    assert response["X-Request-ID"] == from_nginx
    assert log_lines()[-1]["request_id"] == from_nginx
    for hostile in ("short", "x" * 65, "id with spaces", "id\r\nSet-Cookie: a=b", "<script>"):
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered), hostile


def test_log_lines_name_the_signed_in_user(client, users, log_lines):
    client.login(username=users["steward"].username, password=PASSWORD)
    client.get("/projects/999999999/")
    lines = [e for e in log_lines() if e["logger"] == "django.request"]
    assert lines and lines[-1]["user_id"] == str(users["steward"].pk)


def test_the_configured_log_lines_carry_time_level_logger_and_request_id():
    plain = logging_config("INFO", as_json=False)
    assert plain["handlers"]["console"]["filters"] == ["request_id"]
    fmt = plain["formatters"]["plain"]["format"]
    for field in ("asctime", "levelname", "name", "request_id"):
        assert f"%({field})s" in fmt
    assert logging_config("INFO", as_json=True)["handlers"]["console"]["formatter"] == "json"
    record = logging.LogRecord("guanjia.x", logging.ERROR, __file__, 1, "boom %s", ("1",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line | {"time": "-"} == {
        "time": "-",
        "level": "ERROR",
        "logger": "guanjia.x",
        "message": "boom 1",
        "request_id": "-",
        "user_id": "-",
    }


# --- the admin hears of a missing font --------------------------------------------------------


def test_admins_see_that_no_chinese_font_is_installed(client, users, fonts):
    client.login(username=users["admin"].username, password=PASSWORD)
    fonts["cjk"] = False
    page = client.get(reverse("admin:index")).content.decode()
    assert "data-prerequisite" in page and "未安装中文字体" in page
    fonts["cjk"] = True
    health._fonts = None
    assert "data-prerequisite" not in client.get(reverse("admin:index")).content.decode()


def test_guanjia_serve_gives_gunicorn_an_empty_metrics_folder(settings, tmp_path, monkeypatch):
    """Its workers add their request figures up there; last run's files are gone."""
    from guanjia.core.management.commands.serve import Command

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings.VAR_DIR = tmp_path
    stale = tmp_path / "prometheus-8123" / "counter_4242.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    env = Command().web_environment({"port": 8123})
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(stale.parent)
    assert stale.parent.is_dir() and not any(stale.parent.iterdir())
