"""The task worker on Redis: jobs run in the worker's own process, one after another.

rq's default worker forks a child (the "work horse") for every job: 5-8 ms of CPU per job
before it does anything (a fork of a Django process, its imports' pages copied on write, a
new database connection), more than the email a submission queues costs to send. This
worker runs each job in-process (rq's SimpleWorker), and keeps what a fork threw away:

- one database connection across jobs, closed between jobs when it is unusable or older than
  CONN_MAX_AGE (what Django does at the end of a request), checked before reuse
  (CONN_HEALTH_CHECKS), and closed after a job that left an error on it;
- the job timeout still holds: rq's death penalty (SIGALRM in the worker's main thread)
  interrupts a job that runs past it, as in the horse;
- a heartbeat while a job runs, from a thread, every `job_monitoring_interval` (30 s): the job's
  entry in the started registry lives that long + 60 s, as with the forking worker, so a
  worker killed mid-job (kill -9, OOM) leaves a job that rq's cleanup fails as abandoned within
  ~90 s and `guanjia.core.taskrecovery` puts back on the queue (rq's SimpleWorker would hold
  it for the job's whole timeout + 60 s: 31 min);
- memory stays bounded by restarting: `rqworker --max-jobs N` ends the worker after N jobs and
  systemd (Restart=always) or `serve_prod` starts a fresh one.

What a fork also gave — a job that corrupts the process (a leak, a C extension crash) harms
only itself — is traded for that: a crash kills the worker and its one job, which the
recovery above requeues.
"""

import threading
from typing import Any

from django.db import close_old_connections, connections
from rq.worker import SimpleWorker, WorkerStatus
from rq.worker.base import BaseWorker

WORKER_CLASS = "guanjia.core.worker.InProcessWorker"
# Jobs a worker runs before it ends and is started again (bounds slow leaks).
MAX_JOBS = 2000


class InProcessWorker(SimpleWorker):
    """rq's SimpleWorker with a heartbeat while a job runs and Django's connection handling
    between jobs (see the module's text)."""

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        # The forking worker's TTL (the next beat + 60 s), not SimpleWorker's whole timeout:
        # the beating thread below renews it while the job runs.
        return BaseWorker.get_heartbeat_ttl(self, job, working_time)

    def execute_job(self, job: Any, queue: Any) -> None:
        close_old_connections()
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, stop), name="rq-heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join(timeout=5)
            _close_after_job()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Any, execution: Any, stop: threading.Event) -> None:
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # a missed beat is not the job's failure
                self.log.warning("heartbeat for job %s failed", job.id, exc_info=True)


def _close_after_job() -> None:
    """What Django does when a request ends: close connections that are unusable, too old or
    left inside a transaction a job failed to end."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            conn.close()
    close_old_connections()
