"""The production profile on loopback for the drills: its own PostgreSQL database and Redis
databases, the Jinzhou demo, gunicorn as `guanjia serve_prod` runs it, sessions and tokens.

Used by drills/postgres_restart.py and drills/load.py; not a drill itself.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
GUANJIA = str(ROOT / ".venv" / "bin" / "guanjia")
PG = "postgres://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(database: str, redis_dbs: tuple[int, int], work: Path) -> dict[str, str]:
    """The production profile's variables (.env.example) for a drill on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(
        DJANGO_SETTINGS_MODULE="guanjia.settings",
        GUANJIA_PROFILE="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        GUANJIA_TLS="false",
        GUANJIA_PROXY_COUNT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"{PG}/{database}",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_dbs[0]}",
        RQ_REDIS_URL=f"redis://127.0.0.1:6379/{redis_dbs[1]}",
        TASKS_BACKEND="rq",
        GUANJIA_VAR_DIR=str(work),
        GUANJIA_PRIVATE_ROOT=str(work / "private"),
        # The drills measure the application, not the limits meant for one client: every
        # simulated user comes from 127.0.0.1.
        GUANJIA_RATE_API_WRITE="100000/60",
        GUANJIA_RATE_API_READ="100000/60",
        GUANJIA_RATE_LOGIN="100000/60",
        GUANJIA_LOCKOUT_FAILURES="100000",
        LOG_LEVEL="WARNING",
    )
    return env


def guanjia(args: list[str], env: dict[str, str], timeout: int = 900) -> str:
    done = subprocess.run(  # noqa: S603
        [GUANJIA, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"guanjia {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def shell(code: str, env: dict[str, str], timeout: int = 300) -> Any:
    """Run `code` in `guanjia shell`; its last printed line is JSON, returned parsed."""
    out = guanjia(["shell", "-c", code], env, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def prepare(env: dict[str, str], fresh: bool = False) -> None:
    """The drill's database (made if missing, or afresh), migrated, with the Jinzhou demo."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    name = dj_database_url.parse(env["DATABASE_URL"])["NAME"]
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    guanjia(["migrate", "--no-input", "-v", "0"], env)
    guanjia(["load_demo"], env)
    guanjia(["collectstatic", "--no-input", "-v", "0"], env)
    # Fresh statistics, as autovacuum keeps them on a live server (a just-loaded database has
    # none, and the planner then joins every row before sorting).
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")


LOGINS = """
import json
from django.conf import settings
from django.test import Client
from guanjia.accounts.models import ApiToken, User

names = {names!r}
sessions, tokens = [], {{}}
for i in range({n}):
    user = User.objects.get(username=names[i % len(names)])
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[0])
    sessions.append([user.username, client.cookies[settings.SESSION_COOKIE_NAME].value])
for name in names:
    tokens[name] = ApiToken.issue(User.objects.get(username=name), "drill")[1]
print(json.dumps({{"sessions": sessions, "tokens": tokens, "cookie": settings.SESSION_COOKIE_NAME}}))
"""


def logins(env: dict[str, str], names: list[str], n: int) -> dict[str, Any]:
    """`n` log-in sessions spread over `names`, and one API token per name.

    The sessions are made as a log-in makes them (django.contrib.auth.login, its signals and
    session stamps) but without checking the password: Argon2 costs ~0.7 s of CPU per log-in,
    which would measure the hash rather than the application.
    """
    return shell(LOGINS.format(names=names, n=n), env)


class Server:
    """gunicorn as `guanjia serve_prod` starts it (web only), stopped on exit."""

    def __init__(self, env: dict[str, str], work: Path, workers: int | None = None,
                 threads: int | None = None) -> None:  # fmt: skip
        self.env, self.port = env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "gunicorn.log"
        self.args = ["serve_prod", "--no-worker", "--port", str(self.port)]
        if workers:
            self.args += ["--web-workers", str(workers)]
        if threads:
            self.args += ["--threads", str(threads)]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [GUANJIA, *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/login/", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def flush_redis(env: dict[str, str]) -> None:
    """Empty the drill's two Redis databases (its cache and the tasks nobody ran)."""
    import redis

    for key in ("REDIS_URL", "RQ_REDIS_URL"):
        redis.Redis.from_url(env[key]).flushdb()
