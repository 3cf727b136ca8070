"""The one seam through which background work is enqueued, whichever runtime mode is on.

Embedded mode (no REDIS_URL): jobs run inline, at enqueue time, through RQ's synchronous queue on an
in-process fake Redis; periodic jobs run on a thread of the web process. Real mode: jobs are written
to the outbox in the caller's transaction and pushed to Redis once it commits (`agency.outbox`: a
committed change always gets its follow-up, even when Redis was away), for `flask agency worker`;
periodic jobs are enqueued by `flask agency cron` (RQ's cron, restarted when Redis comes back).
Callers only ever use `enqueue()` and the `@job` / `@periodic` decorators.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

import fakeredis
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from agency import metrics, outbox, request_id
from agency.db import db, utcnow

log = logging.getLogger(__name__)

DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])
# A job running longer is stopped and retried; a crashed worker's job comes back after it (plus the
# worker's maintenance interval), so it is sized to the job: minutes, not half an hour.
DEFAULT_TIMEOUT = 600
_nested: ContextVar[bool] = ContextVar("amiable_job_nested", default=False)


class JobFailed(RuntimeError):
    """An inline job failed; raised to the caller when the app is under test."""


@dataclass(frozen=True)
class PeriodicJob:
    func: Callable
    interval: int  # seconds

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__name__}"


PERIODIC: list[PeriodicJob] = []
# Modules that declare jobs, imported by the app and by `flask agency cron` so every @periodic is registered.
# Named as strings: agency must not import the domain packages.
JOB_MODULES = (
    "agency.jobs",
    "cases.placement.jobs",
    "cases.queue.jobs",
    "cases.work.jobs",
    "cases.messaging.jobs",
    "cases.letters.jobs",
    "cases.interest.jobs",
    "cases.closing.bulk",
    "cases.batches.batches",
    "cases.judicial.jobs",
    "cases.bodacc_jobs",
    "cases.closing.limitation_jobs",
    "cases.closing.recall_jobs",
    "money.payments.jobs",
    "money.plans.jobs",
    "money.plans.telling",
    "money.remittances.jobs",
    "money.closing_reports.jobs",
    "money.online.jobs",
    "money.personal_data.jobs",
    "reports.jobs",
    "reports.aged_jobs",
    "alerts.jobs",
)


def import_job_modules() -> None:
    """Import every module that declares jobs."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def job(func: Callable | None = None, *, retry: Retry | None = DEFAULT_RETRY, timeout: int = DEFAULT_TIMEOUT) -> Callable:
    """Mark a function as a background job: it runs in an app context and commits when it returns.

    Job functions take ids, reload their rows and re-check state, so that a retry does no harm.
    `timeout` (seconds) is how long it may run before RQ stops it and retries.
    """

    def decorate(fn: Callable) -> Callable:
        name = f"{fn.__module__}.{fn.__name__}"

        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not has_app_context():
                raise RuntimeError(
                    "jobs run inside the app: start workers with `flask --app app agency worker`"
                )
            current = get_current_job()
            # In a worker, the id of the request that enqueued the job (inline, the request's own is current).
            asked_by = current.meta.get("request_id") if current is not None else None
            with request_id.bound(asked_by or request_id.current()), metrics.measure_job(name):
                return _run_and_commit(fn, args, kwargs)

        run.retry = retry
        run.timeout = timeout
        run.is_job = True
        return run

    return decorate(func) if func is not None else decorate


def periodic(every: int) -> Callable:
    """Mark a job to run every `every` seconds (register it in PERIODIC for both runtime modes)."""

    def decorate(fn: Callable) -> Callable:
        if not getattr(fn, "is_job", False):
            raise TypeError("@periodic goes above @job")
        PERIODIC.append(PeriodicJob(fn, every))
        return fn

    return decorate


def _run_and_commit(fn: Callable, args: tuple, kwargs: dict) -> Any:
    current = get_current_job()
    if current is not None and not get_queue().is_async:
        return _run_inline(fn, args, kwargs)
    # Only the job RQ started claims and marks its outbox row, not a job function it calls directly.
    outbox_id = current.meta.get("outbox_id") if current is not None and not _nested.get() else None
    token = _nested.set(True)
    try:
        if outbox_id is not None and not outbox.claim(outbox_id):
            db.session.rollback()
            return None  # pushed twice (the relay and the sweep): its work is already committed
        result = fn(*args, **kwargs)
        if outbox_id is not None:
            outbox.mark_done(outbox_id)  # in the same commit as the work
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _nested.reset(token)


def _run_inline(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Run a job at enqueue time (embedded mode), inside the caller's transaction.

    Callers enqueue before they commit (in real mode the job is written in their transaction), so a
    job failing here must undo its own work only: it runs in a savepoint, and the caller's change
    stays to be committed. On success everything is committed, as a worker would have.
    """
    savepoint = db.session.begin_nested()
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        else:  # the job committed part of its work itself (a batch job): drop the rest
            db.session.rollback()
        raise
    if savepoint.is_active:
        savepoint.commit()
    db.session.commit()
    return result


def init_app(app: Flask) -> None:
    """Attach the queue matching the runtime mode to `app`."""
    url = app.config.get("REDIS_URL")
    if url:
        # Socket timeouts: a Redis that stops answering fails a push at once (the outbox keeps the job).
        connection = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        queue = Queue("default", connection=connection, default_timeout=DEFAULT_TIMEOUT)
    else:
        connection = fakeredis.FakeStrictRedis()
        queue = Queue("default", connection=connection, is_async=False)
    app.extensions["amiable.queue"] = queue


def get_queue() -> Queue:
    """Return the app's queue (inline in embedded mode, Redis-backed otherwise)."""
    return current_app.extensions["amiable.queue"]


def is_inline() -> bool:
    """Tell whether jobs run inline (embedded mode)."""
    return not get_queue().is_async


@dataclass(frozen=True)
class QueuedJob:
    """A job written to the outbox (real mode): RQ knows it under `id` once the transaction commits."""

    id: str

    def job(self) -> Job:
        return Job.fetch(self.id, connection=get_queue().connection)

    def return_value(self, refresh: bool = True) -> Any:
        return self.job().return_value(refresh=refresh)


def enqueue(func: Callable, *args: Any, job_id: str | None = None, **kwargs: Any) -> Job | QueuedJob:
    """Enqueue `func` (a `@job`) with arguments; in embedded mode it has run when this returns.

    In real mode the job is written in the caller's transaction and reaches Redis once it commits;
    a job of the same `job_id` still waiting is not written twice.
    """
    if not getattr(func, "is_job", False):
        raise TypeError(f"{func.__name__} is not a @job")
    queue = get_queue()
    if queue.is_async:
        if job_id and _waiting_in_outbox(job_id):
            return QueuedJob(job_id)
        written = outbox.write(db.session, f"{func.__module__}.{func.__name__}", args, kwargs, job_id,
                               job_options(func), request_id=request_id.current())
        return QueuedJob(written.job_id)
    if job_id:
        kwargs["job_id"] = job_id
    queued = queue.enqueue(func, *args, **kwargs)  # no retry inline: a failure is reported at once
    if not queue.is_async and queued.get_status() == JobStatus.FAILED:
        result = queued.latest_result()
        detail = result.exc_string if result else ""
        current_app.logger.error("inline job %s failed:\n%s", func.__name__, detail)
        if current_app.testing:
            raise JobFailed(detail)
    return queued


def job_options(func: Callable) -> dict:
    """The RQ options of a @job: its retry policy and its timeout."""
    return {"retry": func.retry, "timeout": func.timeout}


def _options_of(path: str) -> dict:
    module, name = path.rsplit(".", 1)
    return job_options(getattr(importlib.import_module(module), name))


def _waiting_in_outbox(job_id: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        outbox.OutboxJob.job_id == job_id, outbox.OutboxJob.done_at.is_(None), outbox.OutboxJob.failed_at.is_(None),
    )))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _relay_outbox(session: sa.orm.Session) -> None:
    # Only sessions that wrote outbox rows have anything to push; the app context is the committer's.
    if session.info.get("outbox"):
        outbox.relay_after_commit(session, get_queue)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_outbox(session: sa.orm.Session) -> None:
    outbox.forget_after_rollback(session)


@periodic(every=60)
@job
def sweep_outbox() -> dict:
    """Push again the follow-up jobs committed but not in Redis (it was away); show those given up."""
    queue = get_queue()
    if not queue.is_async:
        return {}
    # Abandoned jobs (a worker killed mid-job) go back to their queue or to the failed registry now,
    # not at the next worker maintenance.
    queue.started_job_registry.cleanup()
    return outbox.sweep(queue, options_of=_options_of)


@job
def mark_periodic_run(name: str, started_at: str, error: str = "") -> None:
    """Record when a periodic job last ran (shown on the admin's system page)."""
    from agency.models import PeriodicRun

    run = db.session.get(PeriodicRun, name) or PeriodicRun(name=name)
    run.last_started_at = datetime.fromisoformat(started_at)
    run.last_finished_at = utcnow()
    run.last_error = error
    db.session.add(run)


@job
def run_periodic(job_name: str) -> None:
    """Run one periodic job by name and record its run; what `flask agency cron` and the thread both call."""
    entry = next(p for p in PERIODIC if p.name == job_name)
    started = utcnow().isoformat()
    try:
        entry.func()
    except Exception as exc:  # recorded, then re-raised so RQ marks the job failed
        mark_periodic_run(job_name, started, error=repr(exc))
        raise
    mark_periodic_run(job_name, started)


@periodic(every=300)
@job
def heartbeat() -> None:
    """Do nothing but prove, through its recorded run, that scheduled work is alive."""


class SchedulerThread(threading.Thread):
    """Embedded mode's scheduler: a daemon thread that runs each periodic job on its interval."""

    # Its transactions give way to people's (agency.sqlite.WriteGate).
    background_work = True

    def __init__(self, app: Flask, tick: float = 5.0) -> None:
        super().__init__(name="amiable-scheduler", daemon=True)
        self.app, self.tick = app, tick
        self.stopped = threading.Event()
        self.next_run = {p.name: time.monotonic() for p in PERIODIC}

    def run(self) -> None:
        while not self.stopped.wait(self.tick):
            self.run_due(time.monotonic())

    def run_due(self, now: float) -> None:
        """Run every periodic job whose time has come."""
        for entry in PERIODIC:
            if now < self.next_run.get(entry.name, now):
                continue
            self.next_run[entry.name] = now + entry.interval
            with self.app.app_context():
                try:
                    enqueue(run_periodic, entry.name)
                except Exception:  # a failing job must not stop the scheduler
                    log.exception("periodic job %s failed", entry.name)
                finally:
                    db.session.remove()


def report_progress(done: int, total: int) -> None:
    """Publish the running job's progress (rows done / total) for the page that polls it."""
    current = get_current_job()
    if current is not None:
        current.meta["progress"] = {"done": done, "total": total}
        current.save_meta()


def job_progress(job_id: str) -> dict | None:
    """Return the progress a job published, with its status, or None when the job is unknown."""
    if not job_id:
        return None
    try:
        found = Job.fetch(job_id, connection=get_queue().connection)
    except NoSuchJobError:
        return None
    except RedisError:  # Redis away: the job waits in the outbox, the page says it waits
        return {"status": "queued"}
    status = found.get_status()
    return {"status": getattr(status, "value", status), **found.meta.get("progress", {})}
