"""Settings: one file, typed environment helpers that fail loudly.

SQLite (WAL, synchronous=FULL) is the embedded default; DATABASE_URL switches to PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

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


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = envstr("SECRET_KEY", "dev-only-secret-key-change-me-in-production-0123456789")
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
    "guanjia.core",
    "guanjia.accounts",
    "guanjia.regions",
    "guanjia.industries",
    "guanjia.enterprises",
    "guanjia.projects",
    "guanjia.events",
    "guanjia.ledger",
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
    "guanjia.cockpit",
    "guanjia.targets",
    "guanjia.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# SQLite by default. WAL lets the web server and the worker read while one writes;
# synchronous=FULL because an acknowledged write must survive a power cut.
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", "60")
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
MEDIA_ROOT = VAR_DIR / "media"
# Files people upload (request attachments): outside the web root, served by checked views.
GUANJIA_PRIVATE_ROOT = Path(envstr("GUANJIA_PRIVATE_ROOT", str(VAR_DIR / "private")))
GUANJIA_ATTACHMENT_MAX_BYTES = envint("GUANJIA_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# Background work: Django's tasks API. The database backend needs no broker and works on
# SQLite and PostgreSQL; TASKS_BACKEND=rq moves the queue to Redis (django-tasks-rq).
TASKS_BACKEND = envstr("TASKS_BACKEND", "db")
if TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_tasks_rq")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    RQ_QUEUES = {"default": {"URL": envstr("REDIS_URL", "redis://127.0.0.1:6379/0")}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ValueError(f"TASKS_BACKEND must be db, rq or immediate, got {TASKS_BACKEND!r}")

REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

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
# The cockpit's map: the city's county-level boundaries as GeoJSON, a path under the static
# files; features are matched to regions by name (and by code where a feature has one).
GUANJIA_MAP_GEOJSON = envstr("GUANJIA_MAP_GEOJSON", "geo/jinzhou-210700.geojson")
# Markers for areas without a boundary (zones): {"markers": {region code: [lng, lat]}}.
GUANJIA_MAP_MARKERS = envstr("GUANJIA_MAP_MARKERS", "geo/jinzhou-210700.zones.json")
GUANJIA_PAGE_SIZE = envint("GUANJIA_PAGE_SIZE", "25")
# Working hours for the service clock: comma-separated spans in local time.
GUANJIA_WORK_HOURS = envstr("GUANJIA_WORK_HOURS", "08:30-12:00,13:30-17:30")
GUANJIA_SITE_NAME = _("Guanjia investment service platform")

# Notifications. Links in emails and webhooks are made absolute with the site's public URL.
GUANJIA_BASE_URL = envstr("GUANJIA_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "guanjia@localhost")
# A webhook delivery is retried after 30 s, 1 min, 2 min, ... and given up after this many tries.
GUANJIA_WEBHOOK_MAX_ATTEMPTS = envint("GUANJIA_WEBHOOK_MAX_ATTEMPTS", "6")
GUANJIA_WEBHOOK_RETRY_SECONDS = envint("GUANJIA_WEBHOOK_RETRY_SECONDS", "30")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
