"""Through a real nginx in front of gunicorn: the lock-out and the log-in rate limit count per
real client, whatever X-Forwarded-For a client sends itself.

The stack is the shipped one: Debian's nginx with deploy/nginx/guanjia-proxy.conf (it sets
`X-Forwarded-For $proxy_add_x_forwarded_for`) in front of gunicorn started as serve_prod
starts it, with GUANJIA_PROXY_COUNT=1, on a SQLite file. Every request reaches gunicorn from
nginx's 127.0.0.1; the clients are told apart only by the address nginx sees, so each client
connects from its own loopback address (127.0.0.2, 127.0.0.3, …: all of 127.0.0.0/8 is
loopback on Linux).
"""

import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from guanjia.core.management.commands.serve_prod import gunicorn_command

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GUANJIA = str(Path(sys.executable).with_name("guanjia"))
USERNAME, PASSWORD = "proxy_admin", "proxy-test-password-9"
LOGIN_LIMIT = 8  # log-in POSTs per address; the window is long so it never rolls over mid-test
FAILURES = 5  # wrong passwords that lock an address (the default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing listens on {port} after {seconds} s:\n{log.read_text()[-3000:]}")


NGINX_CONF = """\
{user}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    upstream guanjia {{
        server 127.0.0.1:{app_port};
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include {root}/deploy/nginx/guanjia-proxy.conf;
        }}
    }}
}}
"""


@dataclass
class Stack:
    port: int
    database: Path

    def attempt_addresses(self) -> set[str]:
        """The addresses django-axes recorded for failed log-ins."""
        with sqlite3.connect(self.database) as db:
            rows = db.execute("SELECT DISTINCT ip_address FROM axes_accessattempt").fetchall()
        return {row[0] for row in rows}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: apt-get install nginx")
    work = tmp_path_factory.mktemp("proxy")
    database = work / "guanjia.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SQLITE_", "GUANJIA_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="guanjia.settings",
        GUANJIA_PROFILE="development",
        SQLITE_PATH=str(database),
        GUANJIA_VAR_DIR=str(work),
        GUANJIA_PRIVATE_ROOT=str(work / "private"),
        TASKS_BACKEND="immediate",
        ALLOWED_HOSTS="127.0.0.1",
        # What the production profile sets for the shipped nginx (one proxy, on loopback).
        GUANJIA_PROXY_COUNT="1",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        GUANJIA_RATE_LOGIN=f"{LOGIN_LIMIT}/100000",
        GUANJIA_LOCKOUT_FAILURES=str(FAILURES),
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    for args in (
        ["migrate", "-v0"],
        ["createsuperuser", "--noinput", "--username", USERNAME, "--email", "p@example.cn"],
    ):
        done = subprocess.run(  # noqa: S603
            [GUANJIA, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]

    app_port, port = free_port(), free_port()
    # One worker: without Redis each process counts its rate limits alone.
    app_log = work / "gunicorn.log"
    with app_log.open("w") as out:
        app = subprocess.Popen(  # noqa: S603
            gunicorn_command(f"127.0.0.1:{app_port}", workers=1, threads=2),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            work=work,
            app_port=app_port,
            port=port,
            root=ROOT,
        )
    )
    nginx_log = work / "nginx-error.log"
    nginx_log.touch()
    proxy = subprocess.Popen(  # noqa: S603
        [NGINX, "-p", str(work), "-c", str(conf), "-e", str(nginx_log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(app_port, app, app_log)
        wait_for(port, proxy, nginx_log)
        yield Stack(port, database)
    finally:
        for process in (proxy, app):
            process.terminate()
        for process in (proxy, app):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """A client on its own loopback address, with a cookie jar."""

    stack: Stack
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: str = "", **headers: str) -> Response:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.stack.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body or None, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode()
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _sep, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            assert raw.getheader("Server", "").startswith("nginx")  # really through nginx
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()

    def log_in(self, username: str, password: str, forwarded: str | None = None) -> Response:
        page = self.request("GET", "/login/")
        assert page.status == 200, page.body[-500:]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token, "no CSRF token on the log-in page"
        form = urlencode(
            {"csrfmiddlewaretoken": token[1], "username": username, "password": password}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded
        return self.request("POST", "/login/", form, **headers)


# What an attacker writes into X-Forwarded-For itself to look like someone else: other
# addresses, the next client's address, garbage, nothing.
SPOOFED = ["1.2.3.4", "10.0.0.1, 203.0.113.9", "127.0.0.3", "garbage", None]


def test_wrong_passwords_lock_out_the_real_client_and_no_one_else(stack):
    attacker, neighbour = Browser(stack, "127.0.0.2"), Browser(stack, "127.0.0.3")
    # Five wrong passwords, each for another account name (so no account is locked: only
    # the address can be), each with another forged X-Forwarded-For.
    answers = [
        attacker.log_in(f"guess{i}", "wrong-password", forwarded=SPOOFED[i])
        for i in range(FAILURES)
    ]
    assert [a.status for a in answers[:-1]] == [200] * (FAILURES - 1)
    assert answers[-1].status == 429
    # The attacker is locked out, even with the right password and yet another disguise.
    locked = attacker.log_in(USERNAME, PASSWORD, forwarded="127.0.0.3")
    assert locked.status == 429
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    assert 'id="locked-out"' in locked.body
    # The neighbour, behind the same nginx, is not: a wrong password is an ordinary
    # failure, and the right one logs in.
    assert neighbour.log_in(USERNAME, "wrong-password").status == 200
    # django-axes recorded the real addresses only: nginx's 127.0.0.1 and the forged
    # values never.
    assert stack.attempt_addresses() == {"127.0.0.2", "127.0.0.3"}
    done = neighbour.log_in(USERNAME, PASSWORD)
    assert done.status == 302, done.body[-500:]


def test_the_log_in_rate_limit_counts_per_real_client(stack):
    busy, other = Browser(stack, "127.0.0.4"), Browser(stack, "127.0.0.5")
    for i in range(LOGIN_LIMIT):
        answer = busy.log_in(USERNAME, PASSWORD, forwarded=f"198.51.100.{i}")
        assert answer.status == 302, (i, answer.body[-500:])
    refused = busy.log_in(USERNAME, PASSWORD, forwarded="198.51.100.99")
    assert refused.status == 429
    assert refused.headers["x-ratelimit-limit"] == str(LOGIN_LIMIT)
    assert int(refused.headers["retry-after"]) >= 1
    assert busy.request("GET", "/login/").status == 200  # reading the page is not limited
    assert other.log_in(USERNAME, PASSWORD).status == 302


def test_nginx_request_id_reaches_the_client_and_metrics_stay_closed(stack):
    """nginx's $request_id (guanjia-proxy.conf) is the id the application logs and echoes;
    /metrics, though gunicorn sees nginx's 127.0.0.1, is refused to a relayed request."""
    visitor = Browser(stack, "127.0.0.6")
    first, second = visitor.request("GET", "/healthz"), visitor.request("GET", "/healthz")
    assert first.status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    # A client's own X-Request-ID is replaced by nginx's.
    forged = visitor.request("GET", "/healthz", **{"X-Request-ID": "forged-by-the-client"})
    assert forged.headers["x-request-id"] != "forged-by-the-client"
    assert visitor.request("GET", "/metrics").status == 404
