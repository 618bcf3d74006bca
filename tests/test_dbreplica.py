"""The optional read replica (DATABASE_REPLICA_URL, guanjia/core/dbrouter.py): the cockpit's
figures and the reports read from it, everything else (and every write) stays on the primary.

The tests add a "replica" alias that mirrors the test database (TEST MIRROR, as Django's test
runner does for a configured replica) and install the router; they are transactional
because the replica alias is another connection, which sees only committed rows."""

import copy
import datetime as dt
import os
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanjia.cockpit import figures
from guanjia.cockpit import services as cockpit_services
from guanjia.core import dbrouter
from guanjia.core.dbrouter import REPLICA, ReplicaRouter, read_alias, replica_reads
from guanjia.projects.models import Project
from guanjia.testing.factories import ProjectFactory

DATA = reverse("cockpit:data")
ROLLUPS = ("cockpit_flowrollup", "cockpit_projectrollup", "cockpit_requestrollup")
WRITES = ("INSERT", "UPDATE", "DELETE")


def _sql(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries]


def _writes(ctx: CaptureQueriesContext) -> list[str]:
    return [s for s in _sql(ctx) if s.lstrip().upper().startswith(WRITES)]


@pytest.fixture(scope="module")
def replica_alias(django_db_setup):
    """A "replica" alias on the test database, as settings.py adds it for
    DATABASE_REPLICA_URL (module-scoped: it must exist before the test's database access is
    set up, which lists the aliases a test may use)."""
    added = REPLICA not in connections.settings
    if added:
        primary = connections[DEFAULT_DB_ALIAS].settings_dict
        mirror = copy.deepcopy(primary)
        mirror["TEST"] = {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
        connections.settings[REPLICA] = mirror
    yield
    if added:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(replica_alias, settings):
    """The replica's connection, with the router installed."""
    settings.DATABASE_ROUTERS = ["guanjia.core.dbrouter.ReplicaRouter"]
    return connections[REPLICA]


def test_without_a_replica_everything_uses_the_primary(settings, monkeypatch):
    if os.environ.get("DATABASE_REPLICA_URL"):
        pytest.skip("a replica is configured in this environment")
    assert "guanjia.core.dbrouter.ReplicaRouter" not in settings.DATABASE_ROUTERS
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)  # another test's alias
    assert read_alias() == "default"
    with replica_reads() as alias:
        assert alias == "default"


def test_the_router_sends_writes_and_migrations_to_the_primary():
    router = ReplicaRouter()
    assert router.db_for_write(Project) == "default"
    assert router.allow_migrate("replica", "projects") is False
    assert router.allow_migrate("default", "projects") is None
    assert router.db_for_read(Project) is None  # ordinary reads: the primary


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_cockpit_data_endpoint_reads_its_figures_from_the_replica(
    replica, client, users, linghai
):
    year = dt.date.today().year
    ProjectFactory(
        region=linghai,
        stage="signed",
        signed_on=dt.date(year, 1, 15),
        total_investment_wan=Decimal(30000),
    )
    with CaptureQueriesContext(replica) as on_replica:
        cockpit_services.refresh()  # the worker's job: writes, on the primary only
    assert _sql(on_replica) == []

    client.force_login(users["leader"])
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(DATA, {"year": year})
    assert response.status_code == 200
    kpis = response.json()["kpis"]
    assert kpis["signed_count"] == 1 and Decimal(kpis["signed_investment"]) == 30000

    read = " ".join(_sql(on_replica))
    assert all(table in read for table in ROLLUPS)
    assert "cockpit_refreshstate" in read  # the cache key and the figures: the same copy
    assert _writes(on_replica) == []
    # The session, the user and the access checks stay on the primary; the rollups do not.
    assert not any(table in s for s in _sql(on_primary) for table in ROLLUPS)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_fresh_installation_refreshes_on_the_primary(replica, client, users):
    client.force_login(users["leader"])
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(DATA).status_code == 200
    assert figures.last_refreshed() is not None
    assert _writes(on_replica) == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_replica_reads_route_reads_not_writes(replica, own_enterprise):
    assert read_alias() == "replica"
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        with replica_reads():
            ProjectFactory(enterprise=own_enterprise, region=own_enterprise.region)
            assert Project.objects.filter(enterprise=own_enterprise).count() == 1
        Project.objects.count()  # outside the block: the primary
    assert _writes(on_replica) == []
    assert _writes(on_primary)
    assert any("COUNT" in s.upper() for s in _sql(on_replica))
    assert sum("COUNT" in s.upper() for s in _sql(on_primary)) == 1


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_reports_are_built_from_the_replica(replica, users, city, monkeypatch):
    from guanjia.reports import render, services
    from guanjia.reports.models import Report

    for name in ("to_pdf", "to_docx", "to_xlsx"):
        monkeypatch.setattr(render, name, lambda body: b"")
    report = Report.objects.create(
        kind="weekly",
        period_start=dt.date(2026, 11, 16),
        period_end=dt.date(2026, 11, 22),
        region=city,
        language="zh-hans",
    )
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        services.build_files(report)
    assert "projects_project" in " ".join(_sql(on_replica))
    assert "projects_project" not in " ".join(_sql(on_primary))
    assert _writes(on_replica) == []
    assert dbrouter._replica_reads.get() is False  # the block is over
