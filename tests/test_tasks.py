"""Background work runs in real workers: the database queue and the Redis queue.

Each test runs the `guanjia` command in subprocesses, as `make run` and a production server do,
against a throw-away SQLite file (the worker and the enqueuer must share a database).
"""

import os
import subprocess
import sys

import pytest

from guanjia.core.management.commands.serve import DB_WORKER, RQ_WORKER, Command

ENQUEUE = "from guanjia.core.tasks import heartbeat; print(heartbeat.enqueue().id)"
RESULT = (
    "from django.tasks import default_task_backend as b; "
    "r = b.get_result({!r}); print(r.status, r.return_value)"
)


def guanjia(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "-m", "guanjia", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def env(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    return base | {"SQLITE_PATH": str(tmp_path / "tasks.sqlite3"), "PYTHONUNBUFFERED": "1"}


def test_the_database_queue_is_worked_by_db_worker(env):
    env = env | {"TASKS_BACKEND": "db"}
    guanjia(env, "migrate", "--no-input", "-v", "0")
    task_id = guanjia(env, "shell", "-c", ENQUEUE).splitlines()[-1]
    guanjia(env, "db_worker", "--batch", "--no-startup-delay")
    status = guanjia(env, "shell", "-c", RESULT.format(task_id)).splitlines()[-1]
    assert status.startswith("SUCCESSFUL 20")


def test_the_redis_queue_is_worked_by_an_rq_worker(env):
    env = env | {
        "TASKS_BACKEND": "rq",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15",
    }
    task_id = guanjia(env, "shell", "-c", ENQUEUE).splitlines()[-1]
    guanjia(env, "rqworker", "--burst", *RQ_WORKER[1:])
    status = guanjia(env, "shell", "-c", RESULT.format(task_id)).splitlines()[-1]
    assert status.startswith("SUCCESSFUL 20")


def test_serve_starts_gunicorn_and_the_worker_for_the_configured_queue(settings):
    options = {"host": "127.0.0.1", "port": 8000, "web_workers": 2, "no_worker": False}
    settings.TASKS_BACKEND = "db"
    web, scheduler, worker = Command().commands(options)
    assert web[1:3] == ["-m", "gunicorn"] and "127.0.0.1:8000" in web
    assert scheduler[-1] == "scheduler"
    assert worker[-len(DB_WORKER) :] == DB_WORKER
    settings.TASKS_BACKEND = "rq"
    assert Command().commands(options)[2][-len(RQ_WORKER) :] == RQ_WORKER
    assert len(Command().commands(options | {"no_worker": True})) == 1
