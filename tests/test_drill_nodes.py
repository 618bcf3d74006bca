"""The two-node drill's helpers (drills/two_nodes.py), without running the drill: the ledger it
imports, the kill of a whole node, the capacity summary and nginx's configuration."""

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "drills"))

import two_nodes  # noqa: E402

from guanjia.projects.importers import run_import  # noqa: E402
from guanjia.projects.models import Project  # noqa: E402


@pytest.mark.django_db
def test_the_drills_ledger_is_checked_without_an_error(tmp_path, regions, industries):
    path = two_nodes.ledger_xlsx(tmp_path / "ledger.xlsx", 30, "演练导入")

    result = run_import(path, commit=False)

    assert result.file_errors == [] and result.errors == []
    assert (result.rows, result.to_create) == (30, 30)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_the_drills_ledger_commits_every_row(tmp_path, regions, industries):
    path = two_nodes.ledger_xlsx(tmp_path / "ledger.xlsx", 12, "演练导入")

    assert run_import(path).committed

    assert Project.objects.filter(name__startswith="演练导入-").count() == 12


def test_a_killed_node_leaves_no_process_behind_not_even_one_in_a_group_of_its_own(tmp_path):
    node = two_nodes.Node("node", {}, tmp_path, port=1)
    # A parent with a child in its group and one that made a group of its own (as rq's work
    # horse does with setpgrp).
    node.proc = subprocess.Popen(  # noqa: S603
        ["sh", "-c", "sleep 60 & setsid sleep 60 & wait"],  # noqa: S607
        start_new_session=True,
    )
    deadline = time.monotonic() + 5
    while len(node.pids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = node.pids()
    assert len(pids) == 3

    assert node.kill() == 3

    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert node.pids() == set()


def step(users: int, rps: float, p95: float, errors: int = 0) -> dict:
    return {"users": users, "requests_per_s": rps, "p95_ms": p95, "errors": errors,
            "cpu_ms_per_request": {}}  # fmt: skip


def test_capacity_is_the_most_requests_per_second_within_the_latency_target():
    best = two_nodes.best_within([step(20, 50, 120), step(40, 90, 280), step(60, 95, 450)])

    assert (best["requests_per_s"], best["users"]) == (90, 40)
    assert [s["users"] for s in best["steps"]] == [20, 40, 60]


def test_a_step_with_an_error_does_not_count():
    best = two_nodes.best_within([step(20, 50, 120), step(40, 90, 200, errors=1)])

    assert (best["requests_per_s"], best["users"]) == (50, 20)
    assert two_nodes.best_within([step(20, 50, 900)])["requests_per_s"] == 0


def test_nginx_spreads_over_both_nodes_with_the_shipped_proxy_headers(tmp_path):
    conf = two_nodes.nginx_conf(tmp_path, 8202, (8200, 8201))

    assert "listen 127.0.0.1:8202;" in conf
    assert "server 127.0.0.1:8200 " in conf and "server 127.0.0.1:8201 " in conf
    assert f"include {two_nodes.ROOT}/deploy/nginx/guanjia-proxy.conf;" in conf


def test_one_node_against_two_compares_capacity_and_throughput_at_each_step():
    one = [step(20, 40, 250), step(40, 50, 600)]
    two = [step(20, 45, 150), step(40, 80, 290)]

    got = two_nodes.compare(one, two)

    assert (got["one_node"]["requests_per_s"], got["two_nodes"]["requests_per_s"]) == (40, 80)
    assert got["ratio"] == 2.0
    assert [s["ratio"] for s in got["by_users"]] == [1.12, 1.6]
    assert got["peak_ratio"] == 1.6
    # A machine too busy for the target: no capacity, still the throughput.
    busy = two_nodes.compare([step(10, 9, 2200)], [step(10, 14.5, 980)])
    assert busy["ratio"] is None and busy["peak_ratio"] == 1.61
