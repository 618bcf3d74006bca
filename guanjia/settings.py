"""Settings: one file, typed environment helpers that fail loudly.

SQLite (WAL, synchronous=FULL) is the embedded default; DATABASE_URL switches to PostgreSQL.
"""

import datetime as dt
import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from guanjia.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value in ("true", "1", "yes")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envstr(name: str, default: str) -> str:
    return os.getenv(name, default)


# The profile: "development" (the default: SQLite, the database task queue, plain HTTP) or
# "production" (PostgreSQL through a psycopg connection pool, Redis for the cache and the task
# queue, TLS terminated by nginx). .env.example documents every variable.
GUANJIA_PROFILE = envstr("GUANJIA_PROFILE", "development")
if GUANJIA_PROFILE not in ("development", "production"):
    raise ValueError(f"GUANJIA_PROFILE must be development or production, got {GUANJIA_PROFILE!r}")
PRODUCTION = GUANJIA_PROFILE == "production"
# Served over HTTPS (behind nginx): secure cookies, HSTS, the redirect to https.
GUANJIA_TLS = envbool("GUANJIA_TLS", "true" if PRODUCTION else "false")

DEV_SECRET_KEY = "dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105
DEBUG = envbool("DEBUG", "false")
SECRET_KEY = envstr("SECRET_KEY", DEV_SECRET_KEY)
# The development key and .env.example's placeholder both say "change-me".
if PRODUCTION and ("change-me" in SECRET_KEY or len(SECRET_KEY) < 50):
    raise ValueError("GUANJIA_PROFILE=production needs its own SECRET_KEY (50+ random characters)")
ALLOWED_HOSTS = [
    h for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
VAR_DIR = Path(envstr("GUANJIA_VAR_DIR", str(PROJECT_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    # Listed so the API docs page serves django-ninja's bundled Swagger UI from our static
    # files instead of loading it from a CDN.
    "ninja",
    # Log-in hardening: lock-out after failures, TOTP second factor.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "guanjia.core",
    "guanjia.accounts",
    "guanjia.regions",
    "guanjia.industries",
    "guanjia.enterprises",
    "guanjia.projects",
    "guanjia.events",
    "guanjia.api",
    "guanjia.demo",
    "guanjia.worktime",
    "guanjia.requests",
    "guanjia.servicerecords",
    "guanjia.notifications",
    "guanjia.policies",
    "guanjia.taskforces",
    "guanjia.approvals",
    "guanjia.guarantees",
    "guanjia.leads",
    "guanjia.parks",
    "guanjia.portal",
    "guanjia.cockpit",
    "guanjia.targets",
    "guanjia.reports",
    "guanjia.ingest",
]

MIDDLEWARE = [
    # Operations (docs/operations.md): the request's id for the logs and the X-Request-ID
    # header, the request metrics, then /healthz, /readyz and /metrics answered before the
    # session, the log-in, the rate limits, the host check and the HTTPS redirect.
    "guanjia.core.logs.RequestIdMiddleware",
    "guanjia.core.metrics.MetricsMiddleware",
    "guanjia.core.health.ProbeMiddleware",
    "guanjia.core.metrics.MetricsEndpointMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store on every answer to a signed-in user (API tokens included).
    "guanjia.core.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Log-in security (guanjia/accounts): the OTP-verified user, idle and absolute session
    # timeouts, the two-factor / password-age gate, rate limits.
    "django_otp.middleware.OTPMiddleware",
    "guanjia.accounts.middleware.SessionTimeoutMiddleware",
    "guanjia.accounts.middleware.SecurityGateMiddleware",
    "guanjia.accounts.middleware.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the lock-out page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guanjia.urls"
WSGI_APPLICATION = "guanjia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guanjia.notifications.context.unread",
                "guanjia.core.nav.menu",
            ],
        },
    },
]

# Widgets rendered in Python with the same HTML (guanjia/core/formrender.py): a select of
# 150 people cost ~10 ms through the widget templates.
FORM_RENDERER = "guanjia.core.formrender.FastTemplates"

# SQLite by default. WAL lets the web server and the worker read while one writes;
# synchronous=FULL because an acknowledged write must survive a power cut.
DATABASE_URL = envstr("DATABASE_URL", "")
# Optional: a streaming-replication standby for the cockpit's figures and the reports
# (guanjia/core/dbrouter.py). Ordinary pages always read the primary.
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL", "")


def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if db["ENGINE"] == "django.db.backends.postgresql":
        db["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", "60")
        # Server-side parameters, and statements prepared once a connection has run them
        # twice: PostgreSQL then plans a query once per connection instead of on every call
        # (planning the request pages' joins cost more than running them: 2-45 ms; halved
        # PostgreSQL's CPU per request in drills/load.py). The pool keeps the connections,
        # and so the plans.
        if envbool("DB_SERVER_SIDE_BINDING", "true"):
            db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
        # A psycopg connection pool per process (web servers); the task workers and the
        # scheduler are one thread each and run with DB_POOL=false: one persistent connection
        # (CONN_MAX_AGE), checked before it is reused after a job or a request
        # (guanjia.core.worker). A pool and persistent connections exclude each other, so
        # CONN_MAX_AGE is 0 with the pool.
        db["CONN_HEALTH_CHECKS"] = True
        if envbool("DB_POOL", "true" if PRODUCTION else "false"):
            db["CONN_MAX_AGE"] = 0
            # The pool checks a connection before handing it out (psycopg_pool's
            # check_connection): after a PostgreSQL restart its dead connections are replaced
            # instead of failing one request each (drills/postgres_restart.py).
            db["CONN_HEALTH_CHECKS"] = True
            db.setdefault("OPTIONS", {})["pool"] = {
                "min_size": envint("DB_POOL_MIN_SIZE", "2"),
                "max_size": envint("DB_POOL_MAX_SIZE", "8"),
                "timeout": envint("DB_POOL_TIMEOUT", "10"),
            }
    return db


if DATABASE_URL:
    DATABASES = {"default": _database(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" and PRODUCTION:
        raise ValueError("GUANJIA_PROFILE=production runs on PostgreSQL (postgres://...)")
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
        if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
            raise ValueError("DATABASE_REPLICA_URL must use the same engine as DATABASE_URL")
        # Tests run against the primary's test database through the replica alias.
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        DATABASE_ROUTERS = ["guanjia.core.dbrouter.ReplicaRouter"]
elif PRODUCTION:
    raise ValueError("GUANJIA_PROFILE=production needs DATABASE_URL (postgres://...)")
else:
    SQLITE_PATH = Path(envstr("SQLITE_PATH", str(VAR_DIR / "guanjia.sqlite3")))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": envstr("SQLITE_TEST_PATH", "") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Log-in security (docs/security.md; guanjia/accounts/security.py) ---
# Argon2id first; PBKDF2 hashes still verify and are re-hashed with Argon2 at the next log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Password policy: OWASP ASVS by default (12-128 characters, no common or breached-list
# passwords, no composition rules, no forced change). GUANJIA_DENGBAO=true is "等保 mode":
# at least 8 characters from 3 of the 4 classes and a change every 90 days.
GUANJIA_DENGBAO = envbool("GUANJIA_DENGBAO", "false")
GUANJIA_PASSWORD_MAX_AGE_DAYS = envint("GUANJIA_PASSWORD_MAX_AGE_DAYS", "90")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8 if GUANJIA_DENGBAO else 12},
    },
    {"NAME": "guanjia.accounts.security.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    *([{"NAME": "guanjia.accounts.security.ComplexityValidator"}] if GUANJIA_DENGBAO else []),
]
# Lock-out (django-axes): 5 failures within 15 minutes lock the account name, and separately
# the address, for 15 minutes; a city admin unlocks under Configuration → access attempts.
AUTHENTICATION_BACKENDS = ["guanjia.accounts.backends.LockoutBackend"]
AXES_FAILURE_LIMIT = envint("GUANJIA_LOCKOUT_FAILURES", "5")
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("GUANJIA_LOCKOUT_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "guanjia.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
# Sessions: logged out after 30 minutes without a request and 12 hours after log-in.
GUANJIA_SESSION_IDLE_MINUTES = envint("GUANJIA_SESSION_IDLE_MINUTES", "30")
GUANJIA_SESSION_MAX_HOURS = envint("GUANJIA_SESSION_MAX_HOURS", "12")
SESSION_COOKIE_AGE = GUANJIA_SESSION_MAX_HOURS * 3600
# Two-factor: the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = envstr("GUANJIA_OTP_ISSUER", "Guanjia")
# Rate limits, "count/seconds" per client (docs/security.md).
GUANJIA_RATE_LIMITS = {
    "login": envstr("GUANJIA_RATE_LOGIN", "30/60"),  # log-in POSTs per address
    "api_read": envstr("GUANJIA_RATE_API_READ", "600/60"),  # API GETs per token or user
    "api_write": envstr("GUANJIA_RATE_API_WRITE", "60/60"),  # API writes per token or user
    "open311_post": envstr("GUANJIA_RATE_OPEN311", "30/60"),  # Open311 POSTs per api_key/address
    "portal_enquiry": envstr(
        "GUANJIA_RATE_PORTAL_ENQUIRY", "5/3600"
    ),  # portal enquiries per address
    # 催办 by an enterprise contact, over all their requests (one request: once per
    # GUANJIA_PRESS_INTERVAL_HOURS)
    "request_press": envstr("GUANJIA_RATE_REQUEST_PRESS", "20/3600"),
}
# The audit log is kept at least 180 days; older entries are purged daily.
GUANJIA_AUDIT_RETENTION_DAYS = envint("GUANJIA_AUDIT_RETENTION_DAYS", "365")
if GUANJIA_AUDIT_RETENTION_DAYS < 180:
    raise ValueError("GUANJIA_AUDIT_RETENTION_DAYS must be at least 180")

# Simplified Chinese first; English one click away.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
# The site stylesheet and vendored htmx live beside the templates, outside any app.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if PRODUCTION:
    # Hashed names: whitenoise serves them with a far-future cache lifetime.
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
MEDIA_ROOT = VAR_DIR / "media"
# Private files (attachments, imports, approval commitments, policy documents, reports; see
# guanjia.core.files): outside the web root, served by checked views. By default a local
# folder; with GUANJIA_S3_BUCKET an S3-compatible bucket (SeaweedFS, MinIO, a cloud's object
# storage) through django-storages, which several app nodes can share. The folders keep their
# names inside it, nothing in it is public (guanjia/core/objectstore.py).
GUANJIA_PRIVATE_ROOT = Path(envstr("GUANJIA_PRIVATE_ROOT", str(VAR_DIR / "private")))
GUANJIA_S3_ENDPOINT_URL = envstr("GUANJIA_S3_ENDPOINT_URL", "")  # empty: AWS's own endpoints
GUANJIA_S3_BUCKET = envstr("GUANJIA_S3_BUCKET", "")
GUANJIA_S3_ACCESS_KEY = envstr("GUANJIA_S3_ACCESS_KEY", "")
GUANJIA_S3_SECRET_KEY = envstr("GUANJIA_S3_SECRET_KEY", "")
GUANJIA_S3_REGION = envstr("GUANJIA_S3_REGION", "us-east-1")
GUANJIA_S3_PREFIX = envstr("GUANJIA_S3_PREFIX", "")  # a folder inside the bucket
_s3_given = [
    name
    for name in ("GUANJIA_S3_ENDPOINT_URL", "GUANJIA_S3_ACCESS_KEY", "GUANJIA_S3_SECRET_KEY")
    if globals()[name]
]
if GUANJIA_S3_BUCKET:
    if not (GUANJIA_S3_ACCESS_KEY and GUANJIA_S3_SECRET_KEY):
        raise ValueError("GUANJIA_S3_BUCKET needs GUANJIA_S3_ACCESS_KEY and GUANJIA_S3_SECRET_KEY")
    from guanjia.core.objectstore import s3_storage

    STORAGES["private"] = s3_storage(
        bucket=GUANJIA_S3_BUCKET,
        access_key=GUANJIA_S3_ACCESS_KEY,
        secret_key=GUANJIA_S3_SECRET_KEY,
        endpoint_url=GUANJIA_S3_ENDPOINT_URL,
        region=GUANJIA_S3_REGION,
        location=GUANJIA_S3_PREFIX,
    )
elif _s3_given:  # half a configuration would silently keep the files on the local disk
    raise ValueError(f"{', '.join(_s3_given)} given without GUANJIA_S3_BUCKET")
GUANJIA_ATTACHMENT_MAX_BYTES = envint("GUANJIA_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
# Zip-based uploads (.xlsx, .docx, .ods) are checked before anything parses them
# (guanjia.core.uploads): how many parts, how big unpacked (each part, all together, counted by
# really unpacking), and how much smaller packed than unpacked. A real 100,000-row ledger is
# ~30 MB unpacked at about 7 to 1.
GUANJIA_UPLOAD_MAX_MEMBERS = envint("GUANJIA_UPLOAD_MAX_MEMBERS", "10000")
GUANJIA_UPLOAD_MAX_MEMBER_BYTES = envint("GUANJIA_UPLOAD_MAX_MEMBER_BYTES", str(200 * 1024 * 1024))
GUANJIA_UPLOAD_MAX_UNPACKED_BYTES = envint(
    "GUANJIA_UPLOAD_MAX_UNPACKED_BYTES", str(256 * 1024 * 1024)
)
GUANJIA_UPLOAD_MAX_RATIO = envint("GUANJIA_UPLOAD_MAX_RATIO", "100")
# A running import job proves it is alive every GUANJIA_IMPORT_HEARTBEAT_SECONDS; one silent
# for GUANJIA_IMPORT_LEASE_SECONDS lost its worker (killed, out of memory) and is marked failed.
GUANJIA_IMPORT_HEARTBEAT_SECONDS = envint("GUANJIA_IMPORT_HEARTBEAT_SECONDS", "15")
GUANJIA_IMPORT_LEASE_SECONDS = envint("GUANJIA_IMPORT_LEASE_SECONDS", "120")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request body other than uploaded files (a form's fields, an API's JSON): the longest text
# anyone may send (an ingested document of 200,000 characters, form-encoded) fits with room;
# a larger body is refused before it is read (413; the API and Open311 in their own format).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("GUANJIA_MAX_BODY_BYTES", str(4 * 1024 * 1024))

# Background work: Django's tasks API. The database backend needs no broker and works on
# SQLite and PostgreSQL; TASKS_BACKEND=rq moves the queue to Redis (django-tasks-rq).
TASKS_BACKEND = envstr("TASKS_BACKEND", "rq" if PRODUCTION else "db")
if TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_tasks_rq")
    INSTALLED_APPS.append("django_rq")
    # rq, with a database outbox when Redis does not answer (drained by the scheduler): a
    # task enqueued during a Redis outage runs after it (guanjia.core.taskoutbox).
    TASKS = {"default": {"BACKEND": "guanjia.core.taskoutbox.OutboxRQBackend"}}
    # The queue in its own Redis database: clearing the cache must not drop queued tasks.
    RQ_QUEUES = {
        "default": {
            "URL": envstr("RQ_REDIS_URL", "") or envstr("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DEFAULT_TIMEOUT": envint("RQ_DEFAULT_TIMEOUT", "1800"),
        }
    }
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ValueError(f"TASKS_BACKEND must be db, rq or immediate, got {TASKS_BACKEND!r}")

REDIS_URL = envstr("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    raise ValueError("GUANJIA_PROFILE=production needs REDIS_URL (redis://...)")
if REDIS_URL:
    # Redis errors are logged and treated as misses (guanjia.core.cache): a Redis outage
    # slows pages down a little but does not break them.
    CACHES = {
        "default": {"BACKEND": "guanjia.core.cache.ResilientRedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from Redis, written through to the database (they survive a Redis flush),
    # read from the database when Redis is down (guanjia.core.sessions).
    SESSION_ENGINE = "guanjia.core.sessions"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true" if GUANJIA_TLS else "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Security headers and production hardening ------------------------------------------------
# No script reads the CSRF cookie (htmx sends the token from the page), so it is HttpOnly too.
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if GUANJIA_TLS:
    # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx/guanjia.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
# The client's address (guanjia/accounts/clientip.py): behind nginx every client arrives from
# 127.0.0.1, so the lock-out and the rate limits key on the address nginx saw. GUANJIA_PROXY_COUNT
# is how many proxies stand in front (the shipped nginx: 1, production's default; 0: the
# peer is the client); the client is that many hops from the right of X-Forwarded-For, read
# only when the peer is one of GUANJIA_TRUSTED_PROXIES (addresses or networks, "*" for any;
# by default gunicorn's FORWARDED_ALLOW_IPS, else loopback).
GUANJIA_PROXY_COUNT = envint("GUANJIA_PROXY_COUNT", "1" if PRODUCTION else "0")
if GUANJIA_PROXY_COUNT < 0:
    raise ValueError("GUANJIA_PROXY_COUNT must be 0 or more")
GUANJIA_TRUSTED_PROXIES = [
    item.strip()
    for item in envstr(
        "GUANJIA_TRUSTED_PROXIES", envstr("FORWARDED_ALLOW_IPS", "") or "127.0.0.1,::1"
    ).split(",")
    if item.strip()
]
# A typo stops the start rather than a request.
[ipaddress.ip_network(p, strict=False) for p in GUANJIA_TRUSTED_PROXIES if p != "*"]
AXES_CLIENT_IP_CALLABLE = "guanjia.accounts.clientip.client_ip"

# Django's Content-Security-Policy, enforced in every profile so the tests and the browser
# tests catch a violation: no inline script, no inline event handler, no inline style
# attribute or element anywhere (behaviour lives in static/guanjia/site.js, data for scripts
# in json_script blocks, which are not executed). ECharts and htmx set styles through the
# CSSOM, which the policy allows. Should an inline script ever be unavoidable, add CSP.NONCE
# to script-src and the context processor django.template.context_processors.csp, and write
# <script nonce="{{ csp_nonce }}">.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Django 6.1 mailers: the console by default; EMAIL_BACKEND=...smtp.EmailBackend plus
# EMAIL_HOST etc. sends real mail.
MAILERS = {
    "default": {
        "BACKEND": envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
        "OPTIONS": {
            k: v
            for k, v in {
                "host": os.getenv("EMAIL_HOST"),
                "port": int(os.getenv("EMAIL_PORT", "0")) or None,
                "username": os.getenv("EMAIL_HOST_USER"),
                "password": os.getenv("EMAIL_HOST_PASSWORD"),
            }.items()
            if v
        },
    }
}

# Domain settings a city can change without code.
GUANJIA_CITY_CODE = envstr("GUANJIA_CITY_CODE", "210700")
# The public portal (guanjia/portal): the city's name in Chinese and English, and who owns the
# leads its enquiries create (a user name; empty: the first active city admin).
GUANJIA_CITY_NAME = envstr("GUANJIA_CITY_NAME", "锦州")
GUANJIA_CITY_NAME_EN = envstr("GUANJIA_CITY_NAME_EN", "Jinzhou")
GUANJIA_PORTAL_LEAD_OWNER = envstr("GUANJIA_PORTAL_LEAD_OWNER", "")
# Seconds the portal keeps its public figures and lists (also dropped on every save).
GUANJIA_PORTAL_CACHE_SECONDS = envint("GUANJIA_PORTAL_CACHE_SECONDS", "300")
# The cockpit's map: the city's county-level boundaries as GeoJSON, a path under the static
# files; features are matched to regions by name (and by code where a feature has one).
GUANJIA_MAP_GEOJSON = envstr("GUANJIA_MAP_GEOJSON", "geo/jinzhou-210700.geojson")
# Markers for areas without a boundary (zones): {"markers": {region code: [lng, lat]}}.
GUANJIA_MAP_MARKERS = envstr("GUANJIA_MAP_MARKERS", "geo/jinzhou-210700.zones.json")
# The approval number (审图号) of the published map, shown under every map. A map published in
# China needs one from the natural resources authorities: blank until it is obtained, and the
# maps then say so (guanjia/static/geo/README.md).
GUANJIA_MAP_APPROVAL_NUMBER = envstr("GUANJIA_MAP_APPROVAL_NUMBER", "")
# Open data (/open/…): the publisher and licence of the OC4IDS package, the prefix of its
# project ids (register one with the Open Contracting Partnership before publishing), how long
# browsers and proxies may keep an answer and how long the server keeps a built file.
GUANJIA_OPEN_PUBLISHER = envstr("GUANJIA_OPEN_PUBLISHER", "锦州市人民政府")
GUANJIA_OPEN_LICENSE = envstr(
    "GUANJIA_OPEN_LICENSE", "https://creativecommons.org/licenses/by/4.0/"
)
GUANJIA_OC4IDS_PREFIX = envstr("GUANJIA_OC4IDS_PREFIX", f"oc4ids-gj{GUANJIA_CITY_CODE}")
GUANJIA_OPEN_MAX_AGE = envint("GUANJIA_OPEN_MAX_AGE", "300")
GUANJIA_OPEN_CACHE_SECONDS = envint("GUANJIA_OPEN_CACHE_SECONDS", "60")
GUANJIA_PAGE_SIZE = envint("GUANJIA_PAGE_SIZE", "25")
# Working hours for the service clock: comma-separated spans in local time.
GUANJIA_WORK_HOURS = envstr("GUANJIA_WORK_HOURS", "08:30-12:00,13:30-17:30")
# The direct line's clock beyond the SLA policies (working time, guanjia.worktime):
# - intake limit (受理时限): working hours from submission to acceptance, unless the request
#   category's intake limits (admin: request categories) say otherwise for it or its channel;
# - a 不满意 reopening's fresh resolution window in working days (blank: the request's own
#   resolution limit, as its SLA policy gave it at dispatch);
# - the revisit (回访) owed after such a reopening: working days after its new answer (it is
#   owed before the request closes again);
# - 催办: how often the enterprise may press for an answer on one request (hours).
GUANJIA_INTAKE_HOURS = envstr("GUANJIA_INTAKE_HOURS", "2")
GUANJIA_REOPEN_RESOLVE_DAYS = envstr("GUANJIA_REOPEN_RESOLVE_DAYS", "")
GUANJIA_REVISIT_DAYS = envstr("GUANJIA_REVISIT_DAYS", "2")
GUANJIA_PRESS_INTERVAL_HOURS = envint("GUANJIA_PRESS_INTERVAL_HOURS", "24")
GUANJIA_SITE_NAME = _("Guanjia investment service platform")
# Leads (招商线索): a follow-up date missed by this many working days is told to the area's
# leader; an open lead with no contact for this many calendar days is flagged stale.
GUANJIA_LEAD_ESCALATION_WORKDAYS = envint("GUANJIA_LEAD_ESCALATION_WORKDAYS", "3")
GUANJIA_LEAD_STALE_DAYS = envint("GUANJIA_LEAD_STALE_DAYS", "30")

# Notifications. Links in emails and webhooks are made absolute with the site's public URL.
GUANJIA_BASE_URL = envstr("GUANJIA_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "guanjia@localhost")
# A webhook delivery is retried after 30 s, 1 min, 2 min, ... and given up after this many tries.
GUANJIA_WEBHOOK_MAX_ATTEMPTS = envint("GUANJIA_WEBHOOK_MAX_ATTEMPTS", "6")
GUANJIA_WEBHOOK_RETRY_SECONDS = envint("GUANJIA_WEBHOOK_RETRY_SECONDS", "30")
# A notification email that failed is retried after 2 min, 4 min, ... (the outbox sweep).
GUANJIA_EMAIL_MAX_ATTEMPTS = envint("GUANJIA_EMAIL_MAX_ATTEMPTS", "6")
GUANJIA_EMAIL_RETRY_SECONDS = envint("GUANJIA_EMAIL_RETRY_SECONDS", "120")
# Group robots (企业微信, 钉钉, 飞书) and SMS: retried after 30 s, 1 min, ... (docs/operations.md).
GUANJIA_CHANNEL_MAX_ATTEMPTS = envint("GUANJIA_CHANNEL_MAX_ATTEMPTS", "6")
GUANJIA_CHANNEL_RETRY_SECONDS = envint("GUANJIA_CHANNEL_RETRY_SECONDS", "30")
# SMS: "aliyun" (短信服务 dysmsapi SendSms) or empty (no SMS). The AccessKey pair of a RAM user
# allowed dysms:SendSms, the approved signature (签名), and the API's address and region.
GUANJIA_SMS_PROVIDER = envstr("GUANJIA_SMS_PROVIDER", "")
GUANJIA_SMS_ACCESS_KEY_ID = envstr("GUANJIA_SMS_ACCESS_KEY_ID", "")
GUANJIA_SMS_ACCESS_KEY_SECRET = envstr("GUANJIA_SMS_ACCESS_KEY_SECRET", "")
GUANJIA_SMS_SIGN_NAME = envstr("GUANJIA_SMS_SIGN_NAME", "")
GUANJIA_SMS_ENDPOINT = envstr("GUANJIA_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
GUANJIA_SMS_REGION = envstr("GUANJIA_SMS_REGION", "cn-hangzhou")

# --- Operations: health, metrics, logs (docs/operations.md) ------------------------------------
# /readyz fails when the scheduler has not enqueued its heartbeat (every minute) for this long,
# or when the oldest waiting task has waited this long; each outside check (Redis) gives up
# after GUANJIA_READY_TIMEOUT_SECONDS. GUANJIA_READY_WARN_ONLY names checks that are reported
# ("warn") but do not make the node unready, e.g. "scheduler,queue" for a balancer that should
# keep serving pages while the background work is down.
GUANJIA_READY_SCHEDULER_SECONDS = envint("GUANJIA_READY_SCHEDULER_SECONDS", "180")
GUANJIA_READY_QUEUE_SECONDS = envint("GUANJIA_READY_QUEUE_SECONDS", "600")
GUANJIA_READY_TIMEOUT_SECONDS = envint("GUANJIA_READY_TIMEOUT_SECONDS", "2")
GUANJIA_READY_WARN_ONLY = [
    c.strip() for c in envstr("GUANJIA_READY_WARN_ONLY", "").split(",") if c.strip()
]
# /metrics answers the machine itself (loopback, not through a proxy) and a scraper sending
# "Authorization: Bearer <token>"; empty: loopback only.
GUANJIA_METRICS_TOKEN = envstr("GUANJIA_METRICS_TOKEN", "")
if PRODUCTION and GUANJIA_METRICS_TOKEN and len(GUANJIA_METRICS_TOKEN) < 32:
    raise ValueError("GUANJIA_METRICS_TOKEN must be at least 32 characters")
# Log lines carry time, level, logger and the request's id (guanjia/core/logs.py); one JSON
# object a line with GUANJIA_LOG_JSON=1.
GUANJIA_LOG_JSON = envbool("GUANJIA_LOG_JSON", "false")
LOGGING = logging_config(envstr("LOG_LEVEL", "INFO"), GUANJIA_LOG_JSON)
