"""Tasks whose rq worker died under them run again; tasks that failed on their own do not.

Real rq workers on a real Redis (database 13, a queue of each test's own): the work horse is a
forked child, as in production. A dead worker is made in two ways: a job that SIGKILLs its own
horse (the worker sees it die), and a worker that takes a job and then does nothing more (as
if killed with its horse: the job stays "started" until its heartbeat runs out, which the
tests fast-forward by moving the registry's expiry scores into the past). Our own worker,
which runs its jobs in-process (guanjia.core.worker), is tested at the end.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from guanjia.core import taskrecovery
from guanjia.core.taskrecovery import MAX_REQUEUES, recover

# TEST_REDIS_URL points the tests at another server (a private one: redis://127.0.0.1:6395).
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/13"
# rq forks its work horse from this (threaded) test process, as a worker does from its own.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")


def ok() -> str:
    return "ran"


def boom() -> None:
    raise ValueError("the task's own error")


def die_once(marker: str) -> str:
    """Kill this work horse the first time; succeed the next."""
    path = Path(marker)
    if not path.exists():
        path.write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return "ran"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def queue():
    try:
        connection = Redis.from_url(REDIS)
        connection.ping()
    except Exception as exc:  # .ci/run starts Redis: its absence is a failure, not a skip
        pytest.fail(f"no Redis at {REDIS}: {exc}")
    q = Queue(f"recovery-{uuid.uuid4().hex[:12]}", connection=connection)
    yield q
    for key in connection.scan_iter(f"*{q.name}*"):
        connection.delete(key)
    for key in connection.scan_iter("rq:job:*"):
        if connection.hget(key, "origin") == q.name.encode():
            job_id = key.decode().removeprefix("rq:job:")
            connection.delete(key, f"rq:results:{job_id}", f"rq:executions:{job_id}")


def work(queue: Queue) -> None:
    Worker([queue], connection=queue.connection).work(burst=True)


def expire_started(queue: Queue) -> None:
    """Fast-forward past the dead worker's heartbeat: every started entry has expired."""
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    for member in queue.connection.zrange(registry.key, 0, -1):
        queue.connection.zadd(registry.key, {member: 1})


def test_a_job_whose_horse_was_killed_runs_again(queue, tmp_path):
    job = queue.enqueue(die_once, str(tmp_path / "marker"))
    work(queue)
    failed = FailedJobRegistry(queue.name, connection=queue.connection)
    assert job.id in failed
    assert "Work-horse terminated unexpectedly" in job.latest_result().exc_string
    assert taskrecovery.died_with_worker(job)

    done = recover([queue])
    assert (done.requeued, done.gave_up) == (1, 0)
    assert job.id not in failed and job.id in queue.job_ids
    work(queue)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "ran"
    assert job.meta[taskrecovery.META_KEY] == 1
    assert recover([queue]).requeued == 0  # nothing more to do
    assert taskrecovery.totals(queue) == {"abandoned": 0, "requeued": 1}


def test_a_job_abandoned_by_a_dead_worker_runs_again_once_its_heartbeat_runs_out(queue):
    job = queue.enqueue(ok)
    worker = Worker([queue], connection=queue.connection)
    worker.register_birth()
    taken, _ = Queue.dequeue_any([queue], None, connection=queue.connection)
    worker.prepare_execution(taken)
    worker.prepare_job_execution(taken, remove_from_intermediate_queue=True)
    # ... and the worker is killed with its horse: nobody will finish or fail the job.
    assert job.get_status() == JobStatus.STARTED

    assert recover([queue]).requeued == 0  # its heartbeat has not run out yet: maybe alive
    assert job.get_status() == JobStatus.STARTED

    expire_started(queue)
    done = recover([queue])
    assert (done.abandoned, done.requeued) == (1, 1)
    assert taskrecovery.totals(queue) == {"abandoned": 1, "requeued": 1}
    assert job.id in queue.job_ids
    assert "AbandonedJobError" in job.latest_result().exc_string
    work(queue)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "ran"
    assert StartedJobRegistry(queue.name, connection=queue.connection).count == 0
    assert FailedJobRegistry(queue.name, connection=queue.connection).count == 0


def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_put_back(queue):
    job = queue.enqueue(ok)
    Queue.dequeue_any([queue], None, connection=queue.connection)  # ... and the worker dies
    assert job.id not in queue.job_ids
    stuck = queue.intermediate_queue
    assert stuck.get_job_ids() == [job.id]

    assert recover([queue]).requeued == 0  # first seen now: a live worker may be starting it
    queue.connection.set(stuck.get_first_seen_key(job.id), time.time() - 120)
    assert recover([queue]).requeued == 0  # enqueued under a minute ago: it may be starting
    job.enqueued_at = job.enqueued_at - dt.timedelta(minutes=2)
    job.save()
    assert recover([queue]).requeued == 1
    assert stuck.get_job_ids() == [] and job.id in queue.job_ids
    work(queue)
    assert job.get_status() == JobStatus.FINISHED


def test_an_entry_left_behind_for_a_job_that_ran_is_dropped_and_the_job_not_run_again(queue):
    job = queue.enqueue(ok)
    work(queue)
    stuck = queue.intermediate_queue
    queue.connection.rpush(stuck.key, job.id)  # what a horse killed before it started leaves
    assert recover([queue]).requeued == 0
    assert stuck.get_job_ids() == [] and job.id not in queue.job_ids

    # rq's own cleanup fails such a job as stuck although it ran: it is not run again.
    queue.connection.rpush(stuck.key, job.id)
    worker = Worker([queue], connection=queue.connection)
    worker.handle_job_failure(job, queue, exc_string="Job was stuck in intermediate queue.")
    assert job.id in FailedJobRegistry(queue.name, connection=queue.connection)
    assert recover([queue]).requeued == 0
    assert job.id not in FailedJobRegistry(queue.name, connection=queue.connection)
    assert job.get_status() == JobStatus.FINISHED and job.id not in queue.job_ids


def test_a_job_that_failed_on_its_own_is_left_failed(queue):
    job = queue.enqueue(boom)
    work(queue)
    assert not taskrecovery.died_with_worker(job)
    assert recover([queue]).requeued == 0
    assert job.id in FailedJobRegistry(queue.name, connection=queue.connection)


def test_a_job_that_kills_its_worker_every_time_is_given_up(queue):
    job = queue.enqueue(die)
    for _ in range(MAX_REQUEUES):
        work(queue)
        assert recover([queue]).requeued == 1
    work(queue)
    done = recover([queue])
    assert (done.requeued, done.gave_up) == (0, 1)
    assert job.id in FailedJobRegistry(queue.name, connection=queue.connection)


def test_the_sweep_is_periodic_and_does_nothing_on_the_database_queue(settings):
    from guanjia.core.scheduling import REGISTRY
    from guanjia.core.tasks import requeue_abandoned

    assert REGISTRY[requeue_abandoned.module_path].every.total_seconds() == 30
    settings.TASKS_BACKEND = "db"
    assert requeue_abandoned.call() == 0


@pytest.mark.django_db
def test_an_email_task_run_again_after_its_worker_died_does_not_send_twice(mailoutbox):
    from guanjia.accounts.models import Role
    from guanjia.notifications.services import notify
    from guanjia.notifications.tasks import send_email, send_emails
    from guanjia.testing.factories import UserFactory

    alice = UserFactory(username="t_alice", role=Role.STEWARD, email="alice@example.cn")
    [first, second] = [notify([alice], kind="x.y", title=t)[0] for t in ("one", "two")]
    assert send_email.call(first.pk) is True
    assert send_email.call(first.pk) is True  # the requeued run: already sent
    assert send_emails.call([first.pk, second.pk]) == 2  # a batch run again sends the rest
    assert [m.subject for m in mailoutbox] == ["one", "two"]


# --- The in-process worker (guanjia.core.worker) ------------------------------------------


def pid() -> int:
    return os.getpid()


def in_process_worker(queue: Queue) -> "Worker":
    from guanjia.core.worker import InProcessWorker

    return InProcessWorker([queue], connection=queue.connection)


def test_the_in_process_worker_runs_jobs_in_its_own_process(queue, db):
    jobs = [queue.enqueue(pid) for _ in range(3)]
    in_process_worker(queue).work(burst=True)
    assert [j.return_value() for j in jobs] == [os.getpid()] * 3  # no fork per job


def test_the_in_process_worker_still_times_a_job_out(queue, db):
    job = queue.enqueue(time.sleep, 5, job_timeout=1)
    started = time.monotonic()
    in_process_worker(queue).work(burst=True)
    assert time.monotonic() - started < 4
    assert job.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in job.latest_result().exc_string


def test_a_job_whose_in_process_worker_was_killed_runs_again_after_a_short_heartbeat(
    queue, tmp_path, db
):
    """The worker dies with its job (kill -9 mid-job): the job's started entry lives a
    heartbeat (30 s + 60 s), not the job's whole timeout (30 min), and is then requeued."""
    script = (
        "import django, sys; django.setup(); from redis import Redis; from rq import Queue; "
        "from guanjia.core.worker import InProcessWorker; "
        "q = Queue(sys.argv[1], connection=Redis.from_url(sys.argv[2])); "
        "InProcessWorker([q], connection=q.connection).work(burst=True)"
    )
    job = queue.enqueue(die_once, str(tmp_path / "marker"), job_timeout=1800)
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "guanjia.settings",
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-c", script, queue.name, REDIS], env=env, cwd=root, timeout=60
    )
    assert done.returncode == -signal.SIGKILL
    assert job.get_status() == JobStatus.STARTED
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    [(_member, expiry)] = queue.connection.zrange(registry.key, 0, -1, withscores=True)
    assert expiry - time.time() < 30 + 60 + 5  # the forking worker's heartbeat, not 1860 s

    expire_started(queue)
    recovered = recover([queue])
    assert (recovered.abandoned, recovered.requeued) == (1, 1)
    in_process_worker(queue).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "ran"
