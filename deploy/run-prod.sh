#!/usr/bin/env bash
# `make run-prod`: the production profile on this machine — PostgreSQL through a psycopg pool,
# Redis for the cache and the task queue, gunicorn with several workers, N task workers (jobs
# in-process, no fork per job: guanjia.core.worker) and the scheduler — against the local
# PostgreSQL and Redis, over plain HTTP on 127.0.0.1.
#
# Every variable of .env.example may be exported to override the local defaults below, e.g.
#   DATABASE_URL=postgres://guanjia@db.example/guanjia TASK_WORKERS=4 make run-prod
# DEMO=0 skips loading the Jinzhou demo.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

export GUANJIA_PROFILE=production
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/guanjia_prod}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export RQ_REDIS_URL="${RQ_REDIS_URL:-redis://127.0.0.1:6379/1}"
export TASKS_BACKEND=rq
# No TLS on 127.0.0.1: no secure-only cookies, no HSTS, no redirect to https. A server sets
# GUANJIA_TLS=true behind nginx (deploy/nginx/guanjia.conf); `guanjia check --deploy` is
# clean only then.
export GUANJIA_TLS="${GUANJIA_TLS:-false}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export GUANJIA_BASE_URL="${GUANJIA_BASE_URL:-http://${HOST:-127.0.0.1}:${PORT:-8000}}"
if [ -z "${SECRET_KEY:-}" ]; then
  # A key of this machine's own, made once and kept outside the code.
  mkdir -p var
  if [ ! -s var/prod-secret-key ]; then
    (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))' > var/prod-secret-key)
  fi
  SECRET_KEY="$(cat var/prod-secret-key)"
  export SECRET_KEY
fi

# The database, made if missing (the URL's user must be allowed to create databases).
"$BIN/python" - <<'PY'
import os, sys
import dj_database_url, psycopg
from psycopg import sql

db = dj_database_url.parse(os.environ["DATABASE_URL"])
if db["ENGINE"] != "django.db.backends.postgresql":
    sys.exit("run-prod needs a postgres:// DATABASE_URL")
params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
          "password": db["PASSWORD"]}.items() if v}
try:
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")
except psycopg.OperationalError as exc:
    sys.exit(f"PostgreSQL is not reachable ({exc}); start it or set DATABASE_URL")
PY
"$BIN/python" -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).ping()' \
  || { echo "Redis is not reachable at $REDIS_URL; start it or set REDIS_URL"; exit 1; }

"$BIN/guanjia" migrate --no-input -v 0
if [ "${DEMO:-1}" != "0" ]; then "$BIN/guanjia" load_demo; fi
"$BIN/guanjia" collectstatic --no-input -v 0
exec "$BIN/guanjia" serve_prod --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
  --task-workers "${TASK_WORKERS:-3}" ${WEB_WORKERS:+--web-workers "$WEB_WORKERS"}
