"""Tasks a dead task worker left behind, run again (the Redis queue, django-tasks-rq).

Our rq workers run each job in their own process (guanjia.core.worker); rq's default worker
runs it in a forked child (the "work horse"), and both may be met. When a worker dies without
finishing its job — `kill -9`, an out-of-memory kill, a machine restart — rq does not run
the job again:

- the horse killed, the worker alive: the worker fails the job at once ("Work-horse
  terminated unexpectedly") into the FailedJobRegistry;
- the worker killed (with the job it ran in-process, or its horse): the job stays in the StartedJobRegistry until its
  heartbeat runs out (the monitoring interval + 60 s), and rq's cleanup then fails it as an
  `AbandonedJobError`; rq runs that cleanup only every 10 minutes, or when a worker starts;
- the worker killed between taking the job off the queue and starting it: the job waits in
  the queue's intermediate list, and a later cleanup fails it as "stuck in intermediate
  queue".

`recover()` (the periodic task `guanjia.core.tasks.requeue_abandoned`, every 30 s) runs that
cleanup now and puts back on the queue every job that failed for one of these reasons — never
one whose own code raised — at most `MAX_REQUEUES` times each. A requeued job may have done
its work before its worker died, so a task must bear running twice: the email task skips an
email the mail server already took. The kill drill (drills/kill_workers.py) checks it all.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Words in a failure's text that mean the worker died, not the task.
WORKER_DIED = (
    "AbandonedJobError",
    "Work-horse terminated unexpectedly",
    "stuck in intermediate queue",
)
MAX_REQUEUES = 5
META_KEY = "guanjia_requeued"
# Running totals per queue, in the queue's Redis (for monitoring and the kill drill).
TOTALS_KEY = "guanjia:recovered:{queue}"


@dataclass
class Recovered:
    abandoned: int = 0  # started jobs whose worker stopped beating, failed by rq's cleanup
    requeued: int = 0  # jobs put back on their queue
    gave_up: int = 0  # jobs left failed: requeued MAX_REQUEUES times already


def died_with_worker(job: Any) -> bool:
    """Whether the job's last failure was its worker's death rather than its own error."""
    result = job.latest_result()
    text = (getattr(result, "exc_string", None) or "") if result is not None else ""
    return any(marker in text for marker in WORKER_DIED)


def _queues() -> list[Any]:
    import django_rq
    from django_tasks_rq import Job

    return [django_rq.get_queue(name, job_class=Job) for name in settings.RQ_QUEUES]


def _ran_to_its_end(job: Any) -> bool:
    from rq.results import Result

    return any(r.type == Result.Type.SUCCESSFUL for r in job.results())


def _waiting(queue: Any, job_id: str) -> bool:
    return queue.connection.lpos(queue.key, job_id) is not None


def _requeue_stuck(queue: Any) -> int:
    """Jobs taken off the queue by a worker that died before starting them: back onto the
    queue once seen there twice, a minute apart (as rq's own cleanup waits). An entry left
    behind for a job that is back on the queue, or that ran to its end, is only removed: a
    horse killed before it started leaves its entry there, and rq's own cleanup would fail
    that job (so it would run again) however it ended."""
    import datetime as dt

    from rq.exceptions import NoSuchJobError
    from rq.job import JobStatus
    from rq.utils import now

    stuck = queue.intermediate_queue
    started = queue.started_job_registry
    ended = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
    count = 0
    for job_id in stuck.get_job_ids():
        if job_id in started:
            continue
        try:
            job = queue.job_class.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            stuck.remove(job_id)
            continue
        status = job.get_status()
        if status in ended or _waiting(queue, job_id):
            stuck.remove(job_id)
            continue
        if stuck.set_first_seen(job_id) or not stuck.should_be_cleaned_up(job_id):
            continue
        recently = job.enqueued_at and now() - job.enqueued_at < dt.timedelta(minutes=1)
        if status != JobStatus.QUEUED or recently:
            continue
        stuck.remove(job_id)
        job.meta[META_KEY] = job.meta.get(META_KEY, 0) + 1
        job.save_meta()
        queue.enqueue_job(job)
        logger.warning("task %s (%s) was stuck: requeued", job.id, job.func_name)
        count += 1
    return count


def recover(queues: list[Any] | None = None) -> Recovered:
    """Fail what dead workers abandoned and put back what failed because a worker died."""
    done = Recovered()
    for queue in queues if queues is not None else _queues():
        here = _recover(queue)
        for field, value in vars(here).items():
            setattr(done, field, getattr(done, field) + value)
        if here.abandoned or here.requeued:
            key = TOTALS_KEY.format(queue=queue.name)
            with queue.connection.pipeline() as pipe:
                pipe.hincrby(key, "abandoned", here.abandoned)
                pipe.hincrby(key, "requeued", here.requeued)
                pipe.execute()
    return done


def _recover(queue: Any) -> Recovered:
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    done = Recovered()
    kwargs = {"connection": queue.connection, "job_class": queue.job_class}
    failed = FailedJobRegistry(queue.name, **kwargs)
    before = failed.count
    StartedJobRegistry(queue.name, **kwargs).cleanup()
    done.abandoned = max(0, failed.count - before)
    done.requeued = _requeue_stuck(queue)
    for job_id in failed.get_job_ids():
        try:
            job = queue.job_class.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            continue
        if not died_with_worker(job):
            continue
        if _ran_to_its_end(job) or _waiting(queue, job_id):
            # Failed by rq's cleanup of a leftover entry (see _requeue_stuck): not lost.
            failed.remove(job)
            job.set_status(JobStatus.FINISHED if _ran_to_its_end(job) else JobStatus.QUEUED)
            continue
        runs = job.meta.get(META_KEY, 0)
        if runs >= MAX_REQUEUES:
            done.gave_up += 1
            continue
        job.meta[META_KEY] = runs + 1
        job.save_meta()
        try:
            failed.requeue(job)
        except InvalidJobOperation:  # another sweep took it first
            continue
        logger.warning("task %s (%s) lost its worker: requeued", job.id, job.func_name)
        done.requeued += 1
    return done


def totals(queue: Any) -> dict[str, int]:
    """What `recover` has done on this queue so far, all sweeps together."""
    raw = queue.connection.hgetall(TOTALS_KEY.format(queue=queue.name))
    return {k.decode(): int(v) for k, v in raw.items()}
