"""The scheduler enqueues each periodic task once per slot, however many schedulers run."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from guanjia.core import scheduling
from guanjia.core.models import ScheduledJob
from guanjia.core.tasks import heartbeat

pytestmark = pytest.mark.django_db
NAME = heartbeat.module_path
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def queue():
    with override_settings(TASKS=IMMEDIATE):
        from django.tasks import default_task_backend

        default_task_backend.clear()
        yield default_task_backend


@pytest.fixture(autouse=True)
def only_the_heartbeat(monkeypatch):
    """Other apps register periodic tasks too; these tests watch the heartbeat alone."""
    from guanjia.core.management.commands.scheduler import discover

    discover()  # import every tasks module now, so none registers during a test
    monkeypatch.setattr(scheduling, "REGISTRY", {NAME: scheduling.REGISTRY[NAME]})


def enqueued(queue) -> list[str]:
    return [r.task.module_path for r in queue.results]


def test_the_heartbeat_is_registered_as_periodic():
    assert scheduling.REGISTRY[NAME].every == dt.timedelta(seconds=60)


def test_a_due_job_is_enqueued_once_and_then_waits_for_its_interval(queue):
    assert scheduling.due_jobs(T0) == [NAME]
    assert scheduling.due_jobs(T0) == []  # the same tick again: nothing
    assert scheduling.due_jobs(T0 + dt.timedelta(seconds=59)) == []
    assert scheduling.due_jobs(T0 + dt.timedelta(seconds=60)) == [NAME]
    assert enqueued(queue) == [NAME, NAME]


def test_a_scheduler_that_read_a_stale_slot_does_not_enqueue_it_again(queue, monkeypatch):
    scheduling.due_jobs(T0)
    stale = ScheduledJob.objects.get(name=NAME)
    later = T0 + dt.timedelta(minutes=5)
    assert scheduling.due_jobs(later) == [NAME]  # the first scheduler claims the slot
    # A second scheduler that read the row before that claim finds it already taken.
    monkeypatch.setattr(
        ScheduledJob.objects, "get_or_create", lambda **kw: (stale, False), raising=False
    )
    assert scheduling.due_jobs(later) == []
    assert enqueued(queue).count(NAME) == 2


def test_missed_slots_are_not_replayed(queue):
    scheduling.due_jobs(T0)
    assert scheduling.due_jobs(T0 + dt.timedelta(hours=3)) == [NAME]
    assert scheduling.due_jobs(T0 + dt.timedelta(hours=3, seconds=30)) == []


@time_machine.travel(T0, tick=False)
def test_the_command_runs_one_tick(queue, capsys):
    call_command("scheduler", "--once")
    assert f"enqueued {NAME}" in capsys.readouterr().out
    assert enqueued(queue) == [NAME]
