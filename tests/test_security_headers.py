"""Security headers, cookies, the Content-Security-Policy and the production profile.

The production profile is checked in a subprocess with the environment of .env.example, as a
server would run it: `guanjia check --deploy` must report nothing at all.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from guanjia.core.management.commands.serve_prod import Command as ServeProd
from guanjia.core.templatetags.csp_tags import pct_class
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
# WeasyPrint's input for the PDF reports, never served to a browser.
NOT_SERVED = {
    "reports/templates/reports/pdf.html",
    "leads/templates/leads/trip_report_pdf.html",
    "events/templates/events/print.html",
}


def env_example() -> dict[str, str]:
    """The variables .env.example sets."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def run_production(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SQLITE_"))}
    env.update(env_example())
    env["SECRET_KEY"] = secrets.token_urlsafe(64)  # .env.example's placeholder is refused
    env.update(overrides)
    env["DJANGO_SETTINGS_MODULE"] = "guanjia.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- Headers and cookies in every profile ---------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_policy_and_the_security_headers(client):
    response = client.get(reverse("login"))
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_httponly_and_samesite(client, users):
    client.get(reverse("login"))
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("login"),
        {"username": "t_admin", "password": PASSWORD},
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


# --- Nothing a signed-in user saw stays in a cache --------------------------------------------

# A sample per kind of answer: pages, a download, redirects, refusals
# (403, 404) and the API; every role requests every one (whatever the status).
SIGNED_IN_SAMPLE = [
    "/",
    "/projects/",
    "/requests/",
    "/requests/export/",
    "/notifications/",
    "/account/",
    "/account/audit/",
    "/ingest/",
    "/projects/999999/",
    "/api/v1/projects",
    "/api/v1/requests",
    "/invest/",
    "/invest/parks/",
    "/parks/map/data.json",
    "/open/oc4ids/projects.json",
    "/open/plots.geojson",
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "official", "steward", "handler", "leader", "enterprise"])
def test_every_answer_to_a_signed_in_user_is_no_store(client, users, who):
    client.force_login(users[who])
    seen = set()
    for url in SIGNED_IN_SAMPLE:
        response = client.get(url)
        seen.add(response.status_code)
        assert response.headers["Cache-Control"] == "private, no-store", (url, response.status_code)
    assert 200 in seen and seen - {200}  # answered and refused alike
    # The log-out's redirect too (the user is signed out while that view runs).
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_api_answers_to_a_bearer_token_are_no_store(client, users):
    from guanjia.accounts.models import ApiToken

    _, raw = ApiToken.issue(users["official"], "tests")
    headers = {"Authorization": f"Bearer {raw}"}
    for url in ("/api/v1/projects", "/api/v1/enterprises", "/api/v1/projects/999999"):
        response = client.get(url, headers=headers)
        assert response.headers["Cache-Control"] == "private, no-store", url
    refused = client.get("/api/v1/projects", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401


# The public portal's pages, served to anyone (guanjia/portal).
PORTAL_SERVED = [
    "/invest/",
    "/invest/parks/",
    "/invest/policies/",
    "/invest/projects/",
    "/invest/enquiry/",
    "/robots.txt",
    "/sitemap.xml",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PORTAL_SERVED)
def test_the_public_portal_keeps_the_policy_and_caches_only_what_is_public(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    if url.startswith("/invest/") and url != "/invest/enquiry/":
        assert "public" in response.headers["Cache-Control"]
    else:  # the form carries a CSRF token: never shared
        assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.django_db
def test_public_answers_and_static_files_keep_their_own_caching(client, users):
    # The log-in page: Django's LoginView never caches it, as before.
    login = client.get(reverse("login"))
    assert "max-age=0" in login.headers["Cache-Control"]
    # Static files are answered before the session is read, signed in or not.
    client.force_login(users["admin"])
    # Open data (/open/…) answers anonymous visitors as public and cacheable, with the policy.
    client.logout()
    for url in ("/open/oc4ids/projects.json", "/open/projects.csv", "/open/parks.geojson",
                "/open/plots.geojson"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=300", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], url
    client.force_login(users["admin"])
    css = client.get("/static/guanjia/site.css")
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("Cache-Control", "")


def test_the_base_page_turns_off_htmx_inline_styles_and_eval():
    base = (ROOT / "guanjia/templates/base.html").read_text()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base)
    assert config and json.loads(config.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
    }


INLINE = [
    (
        "inline script",
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    ),
    ("event handler", re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)),
    ("style attribute", re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S)),
    ("style element", re.compile(r"<style[\s>]")),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
    ("htmx hx-on", re.compile(r"\shx-on[:-]")),
]


def test_no_template_has_inline_script_handler_or_style():
    found = []
    for path in sorted((ROOT / "guanjia").rglob("templates/**/*.html")):
        relative = path.relative_to(ROOT / "guanjia").as_posix()
        if relative in NOT_SERVED:
            continue
        text = path.read_text()
        for what, pattern in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{relative}:{line}: {what}")
    assert not found, "\n".join(found)


def test_no_python_built_html_has_a_style_attribute():
    found = [
        f"{path.relative_to(ROOT)}"
        for path in (ROOT / "guanjia").rglob("templatetags/*.py")
        if re.search(r"<[a-z][^>]*\sstyle=", path.read_text())
    ]
    assert not found


def test_our_scripts_write_no_inline_style_or_code():
    """Our own scripts set styles through the CSSOM only (el.style.x = …, which the policy
    allows), never as markup or a style attribute, and never evaluate strings."""
    pattern = re.compile(
        r"style=|setAttribute\(\s*[\"']style|innerHTML|insertAdjacentHTML|outerHTML|eval\(|new Function"
        r"|setTimeout\(\s*[\"']"
    )
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "guanjia").rglob("static/**/*.js")
        if "vendor" not in path.parts
        for match in pattern.finditer(path.read_text())
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("value", "css"), [(0, "pct-0"), (42.4, "pct-42"), (42.6, "pct-43"), (130, "pct-100"),
                       (-5, "pct-0"), (None, "pct-0"), ("77", "pct-77")],
)  # fmt: skip
def test_bar_widths_are_classes_clamped_to_0_100(value, css):
    assert pct_class(value) == css


def test_every_width_class_exists_in_the_stylesheet():
    css = (ROOT / "guanjia/static/guanjia/site.css").read_text()
    assert all(f".pct-{n}{{width:{n}%}}" in css for n in range(101))


# --- The production profile ------------------------------------------------------------------------


def test_check_deploy_reports_nothing_in_the_production_profile(tmp_path):
    # The private store must take a file (guanjia.E003): a folder of the test's own, not
    # .env.example's /var/lib/guanjia.
    done = run_production(
        "-m", "guanjia", "check", "--deploy", "--fail-level", "WARNING",
        GUANJIA_PRIVATE_ROOT=str(tmp_path / "private"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


SHOW = """
import json, django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "pool": db.get("OPTIONS", {}).get("pool"),
    "conn_max_age": db["CONN_MAX_AGE"], "cache": s.CACHES["default"]["BACKEND"],
    "tasks": s.TASKS["default"]["BACKEND"], "queue": s.RQ_QUEUES["default"]["URL"],
    "static": s.STORAGES["staticfiles"]["BACKEND"], "hsts": s.SECURE_HSTS_SECONDS,
    "hsts_sub": s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "preload": s.SECURE_HSTS_PRELOAD,
    "redirect": s.SECURE_SSL_REDIRECT, "proxy": list(s.SECURE_PROXY_SSL_HEADER or []),
    "cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,
                s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE],
    "debug": s.DEBUG,
}))
"""


def test_the_production_profile_uses_postgres_pool_redis_and_tls():
    done = run_production("-c", SHOW)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown == {
        "engine": "django.db.backends.postgresql",
        "pool": {"min_size": 2, "max_size": 8, "timeout": 10},
        "conn_max_age": 0,
        "cache": "guanjia.core.cache.ResilientRedisCache",
        "tasks": "guanjia.core.taskoutbox.OutboxRQBackend",
        "queue": "redis://127.0.0.1:6379/1",
        "static": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "hsts": 31536000,
        "hsts_sub": True,
        "preload": True,
        "redirect": True,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "cookies": [True, True, True, True, "Lax", "Lax"],
        "debug": False,
    }


def test_task_workers_run_without_a_pool():
    done = run_production("-c", SHOW, DB_POOL="false")
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["pool"] is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": env_example()["SECRET_KEY"]}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///var/x.sqlite3"}, "PostgreSQL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"GUANJIA_PROFILE": "prod"}, "GUANJIA_PROFILE"),
    ],
)
def test_the_production_profile_refuses_to_start_half_configured(overrides, message):
    done = run_production("-m", "guanjia", "check", **overrides)
    assert done.returncode != 0
    assert message in done.stderr


def test_serve_prod_starts_gunicorn_the_scheduler_and_n_task_workers():
    options = {
        "host": "127.0.0.1",
        "port": 8000,
        "web_workers": 3,
        "threads": 4,
        "task_workers": 3,
        "no_worker": False,
    }
    cmds = ServeProd().commands(options)
    web, scheduler, *workers = cmds
    assert web[1:4] == ["-m", "gunicorn", "guanjia.wsgi:application"]
    assert web[web.index("--workers") + 1] == "3" and web[web.index("--threads") + 1] == "4"
    assert scheduler[:2] == ["env", "DB_POOL=false"] and scheduler[-1] == "scheduler"
    assert len(workers) == 3
    assert all("rqworker" in w and "django_tasks_rq.Job" in w for w in workers)
    assert all(w[:2] == ["env", "DB_POOL=false"] for w in workers)


# --- deploy/ agrees with the settings ----------------------------------------------------------


def test_deploy_files_agree_with_the_settings(settings):
    nginx = (ROOT / "deploy/nginx/guanjia.conf").read_text()
    body = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert body and int(body.group(1)) * 1024 * 1024 >= settings.GUANJIA_ATTACHMENT_MAX_BYTES
    proxy = (ROOT / "deploy/nginx/guanjia-proxy.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy  # SECURE_PROXY_SSL_HEADER
    worker = (ROOT / "deploy/systemd/guanjia-worker@.service").read_text()
    assert "rqworker --worker-class guanjia.core.worker.InProcessWorker" in worker  # no fork a job
    assert "--job-class django_tasks_rq.Job" in worker and "DB_POOL=false" in worker
    assert "guanjia scheduler" in (ROOT / "deploy/systemd/guanjia-scheduler.service").read_text()
    assert (
        "gunicorn guanjia.wsgi:application"
        in (ROOT / "deploy/systemd/guanjia-web.service").read_text()
    )
    names = set(env_example())
    assert {"GUANJIA_PROFILE", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "GUANJIA_TLS"} <= names
