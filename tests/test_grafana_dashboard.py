"""deploy/grafana/guanjia.json: a dashboard Grafana can import, whose every query names metrics
that /metrics exports, and whose every panel deploy/grafana.md describes."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.core.models import ScheduledJob
from guanjia.core.tasks import heartbeat

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
DASHBOARD = json.loads((DEPLOY / "grafana" / "guanjia.json").read_text())
PANELS = [p for p in DASHBOARD["panels"] if p["type"] != "row"]
EXPRS = [t["expr"] for p in PANELS for t in p["targets"]]


def test_the_dashboard_is_well_formed():
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    assert DASHBOARD["uid"] and DASHBOARD["templating"]["list"][0]["type"] == "datasource"
    for panel in PANELS:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"])
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        values = [s["value"] for s in steps[1:]]
        assert steps[0]["value"] is None and values == sorted(values)
        x, w = panel["gridPos"]["x"], panel["gridPos"]["w"]
        assert x >= 0 and x + w <= 24


def test_every_panel_is_described_in_deploy_grafana_md():
    text = (DEPLOY / "grafana.md").read_text()
    for panel in PANELS:
        assert f"**{panel['title']}**" in text
    for expr in EXPRS:
        assert expr.replace("|", "\\|") in text


@pytest.mark.django_db
def test_every_metric_the_dashboard_reads_is_exported(client, users, monkeypatch):
    from guanjia.cockpit.models import RefreshState
    from guanjia.core import metrics

    now = timezone.now()
    ScheduledJob.objects.create(
        name=heartbeat.module_path, next_run_at=now, last_run_at=now, last_duration=0.1
    )
    RefreshState.objects.create(
        key="rollups", refreshed_at=now - dt.timedelta(seconds=20), seconds=1.5
    )

    class Pool:
        def get_stats(self) -> dict[str, int]:
            return {"pool_size": 4, "pool_available": 1, "pool_max": 8, "requests_waiting": 0}

    monkeypatch.setattr(metrics, "_pool", Pool)
    client.get(reverse("login"))
    exported = {
        line.split("{")[0].split(" ")[0]
        for line in client.get("/metrics").content.decode().splitlines()
        if line and not line.startswith("#")
    }

    read = {name for expr in EXPRS for name in re.findall(r"\bguanjia_[a-z_]+", expr)}
    assert read and read <= exported, read - exported
    # and the labels the queries group by
    for expr in EXPRS:
        for labels in re.findall(r"by \(([^)]*)\)", expr):
            for label in (x.strip() for x in labels.split(",")):
                assert label in {"status", "instance", "view", "le", "task", "channel", "rollup"}
