# Guanjia — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do if command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install deps-run deps-test run run-prod run-demo migrate demo test test-pg test-shifted test-pg-shifted lint format bench bench-ledger bench-requests bench-policies bench-cockpit bench-reports bench-leads bench-land bench-ingest bench-ingest-tune bench-pages bench-peers drill-backup drill-postgres drill-load drill-kill drill-redis drill-nodes seaweedfs seaweedfs-stop messages clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or 3.13 is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/.installed ## create .venv and install the pinned dependencies

migrate: install ## apply database migrations
	$(BIN)/guanjia migrate --no-input -v 0

demo: migrate ## load the Jinzhou demo (idempotent) and print the demo accounts
	$(BIN)/guanjia load_demo

deps-run: ## the system packages serving needs (CJK font, Pango): installed if missing
	deploy/system-deps.sh run

deps-test: ## the system packages the suite needs (also Chromium, nginx): installed if missing
	deploy/system-deps.sh test

run: deps-run demo ## set everything up and serve http://127.0.0.1:8000 with the worker (Ctrl-C stops)
	$(BIN)/guanjia collectstatic --no-input -v 0
	$(BIN)/guanjia serve --host $(HOST) --port $(PORT)

run-prod: install ## the production profile here: PostgreSQL (pool), Redis, gunicorn, 3 task workers
	HOST=$(HOST) PORT=$(PORT) deploy/run-prod.sh

# The suite runs on every core (pytest-xdist; docs/architecture.md, "The suite in parallel"):
# TEST_WORKERS=0 (or PYTEST_ARGS=-n0) runs it in one process, TEST_WORKERS=3 in three. Each
# module runs whole on one worker (loadfile), so a module-scoped world is built once.
TEST_WORKERS ?= auto
TEST_DIST ?= loadfile
PYTEST = $(BIN)/pytest -n $(TEST_WORKERS) --dist $(TEST_DIST)

# The object-storage tests (tests/test_objectstore.py) run against a real S3 server: SeaweedFS
# on 127.0.0.1:8333, started once here when it is down and shared by every test worker.
seaweedfs: install ## start SeaweedFS (S3 on 127.0.0.1:8333, data in /tmp) when it is down
	@$(BIN)/python -m guanjia.testing.seaweedfs start >/dev/null || echo "SeaweedFS did not start here: the object-storage tests start one of their own"

seaweedfs-stop: install ## stop the SeaweedFS that `make seaweedfs` started
	$(BIN)/python -m guanjia.testing.seaweedfs stop

test: deps-test install seaweedfs ## the whole suite on SQLite, on every core (TEST_WORKERS=0: one process)
	$(PYTEST) $(PYTEST_ARGS)

test-pg: deps-test install seaweedfs ## the whole suite on PostgreSQL ($(PG_URL)), on every core
	DATABASE_URL=$(PG_URL) $(PYTEST) $(PYTEST_ARGS)

SHIFT_DAYS ?= 365
test-shifted: deps-test install seaweedfs ## the whole suite on SQLite with the clock SHIFT_DAYS (365) days ahead
	$(PYTEST) --shift-days $(SHIFT_DAYS) $(PYTEST_ARGS)

test-pg-shifted: deps-test install seaweedfs ## the whole suite on PostgreSQL with the clock SHIFT_DAYS (365) days ahead
	DATABASE_URL=$(PG_URL) $(PYTEST) --shift-days $(SHIFT_DAYS) $(PYTEST_ARGS)

lint: install ## ruff (lint and format check), mypy and the app layers (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy guanjia
	$(BIN)/lint-imports

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-ledger bench-requests bench-policies bench-cockpit bench-reports bench-leads bench-land ## every benchmark (PostgreSQL)

bench-ledger: install ## ledger benchmark on PostgreSQL (100,000 projects)
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/ledger.py

bench-requests: install ## requests benchmark on PostgreSQL (1,000,000 requests, 50,000 open)
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/requests.py

bench-policies: install ## policy matching benchmark on PostgreSQL (500 policies x 100,000 enterprises)
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/policies.py

bench-pages: install ## what each page and API call of the load drill costs (production profile, demo data)
	$(BIN)/python bench/pages.py

bench-cockpit: install ## cockpit benchmark on PostgreSQL (100,000 projects, 1,000,000 requests)
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/cockpit.py

bench-leads: install ## leads and events benchmark on PostgreSQL (200,000 leads, 1,000,000 negotiations, 5,000 events, 250,000 signings and their follow-through)
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/leads.py

bench-land: install ## land and portal benchmark on PostgreSQL (500 parks, 50,000 plots, 200,000 leads, 10,000 public projects): matching, map data, portal pages, open data
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/land.py

PEER_ROOT ?=
bench-peers: install ## ours and django-helpdesk side by side, A/B/A/B: submission, queue page, SLA sweep; ratios with the load average (PEER_ROOT=scratch folder outside the repo; the peers' harness: ../shared/peers or PEERS_DIR; PEER_ARGS=...)
	@test -n "$(PEER_ROOT)" || { echo "set PEER_ROOT to a scratch folder outside the repository"; exit 1; }
	PEER_ROOT=$(PEER_ROOT) DATABASE_URL=$(PG_URL) $(BIN)/python bench/peers.py $(PEER_ARGS)

bench-reports: demo ## the weekly report's PDF on the demo data (target 3 s)
	$(BIN)/guanjia make_report weekly --day 2023-03-22 --repeat 3 --out var/reports-bench

bench-ingest: install ## ingest: precision and recall of the extracted figures (samples, tune and held-out corpus, per field), time per document (SQLite)
	$(BIN)/python bench/ingest.py

bench-ingest-tune: install ## ingest: the same on the tunable splits only (samples, tune), for whoever changes the rules
	$(BIN)/python bench/ingest.py --only samples,tune --docs

drill-backup: install ## backup/restore drill on PostgreSQL and SQLite (row counts and checksums)
	$(BIN)/python drills/backup_restore.py

drill-postgres: install ## PostgreSQL stopped (immediate) and restarted under load: 503 while down, recovery, no lost write (root)
	$(BIN)/python drills/postgres_restart.py

drill-load: install ## locust, 100 users, 5 minutes, 80% reads / 20% writes against the production profile; then the capacity at p95 <= 300 ms
	$(BIN)/python drills/load.py --fresh --capacity 20 30 40 50 60 $(DRILL_ARGS)

drill-kill: install ## kill -9 web and task workers 100 times during a stream of writes: nothing acknowledged or queued is lost
	$(BIN)/python drills/kill_workers.py

drill-redis: install ## Redis (a private redis-server on 6390) stopped 60 s under the load mix: no 5xx, queued tasks run after, nothing lost
	$(BIN)/python drills/redis_outage.py $(DRILL_ARGS)

drill-nodes: install ## two app nodes behind nginx, one PostgreSQL, Redis and SeaweedFS bucket; an import across nodes, a node killed mid-import (DRILL_ARGS='--capacity 20 40': one node's capacity against two)
	$(BIN)/python drills/two_nodes.py $(DRILL_ARGS)

messages: install ## refresh and compile the translations
	cd guanjia && ../$(BIN)/guanjia makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*'
	cd guanjia && ../$(BIN)/guanjia compilemessages

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var staticfiles
