"""The one seam through which background work is enqueued, whichever runtime mode is on.

Embedded mode (no REDIS_URL): jobs run inline, at enqueue time, through RQ's synchronous queue on an
in-process fake Redis; periodic jobs run on a thread of the web process. Real mode: jobs go to Redis
for `flask agency worker` (or `rq worker`), periodic jobs are enqueued by `rq cron agency.cron`.
Callers only ever use `enqueue()` and the `@job` / `@periodic` decorators.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

import fakeredis
from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from agency.db import db, utcnow

log = logging.getLogger(__name__)

DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])


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
# Modules that declare jobs, imported by the app and by `rq cron` so every @periodic is registered.
# Named as strings: agency must not import the domain packages.
JOB_MODULES = (
    "agency.jobs",
    "cases.placement.jobs",
    "cases.queue.jobs",
    "cases.work.jobs",
    "cases.messaging.jobs",
    "cases.letters.jobs",
    "cases.interest.jobs",
    "money.payments.jobs",
    "money.plans.jobs",
    "money.remittances.jobs",
    "reports.jobs",
    "reports.aged_jobs",
    "alerts.jobs",
)


def import_job_modules() -> None:
    """Import every module that declares jobs."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def job(func: Callable | None = None, *, retry: Retry | None = DEFAULT_RETRY) -> Callable:
    """Mark a function as a background job: it runs in an app context and commits when it returns.

    Job functions take ids, reload their rows and re-check state, so that a retry does no harm.
    """

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not has_app_context():
                raise RuntimeError(
                    "jobs run inside the app: start workers with `flask --app app agency worker`"
                )
            return _run_and_commit(fn, args, kwargs)

        run.retry = retry
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
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


def init_app(app: Flask) -> None:
    """Attach the queue matching the runtime mode to `app`."""
    url = app.config.get("REDIS_URL")
    if url:
        connection = Redis.from_url(url)
        queue = Queue("default", connection=connection, default_timeout=1800)
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


def enqueue(func: Callable, *args: Any, **kwargs: Any) -> Job:
    """Enqueue `func` (a `@job`) with arguments; in embedded mode it has run when this returns."""
    if not getattr(func, "is_job", False):
        raise TypeError(f"{func.__name__} is not a @job")
    queue = get_queue()
    retry = func.retry if queue.is_async else None  # an inline failure is reported at once
    queued = queue.enqueue(func, *args, retry=retry, **kwargs)
    if not queue.is_async and queued.get_status() == JobStatus.FAILED:
        result = queued.latest_result()
        detail = result.exc_string if result else ""
        current_app.logger.error("inline job %s failed:\n%s", func.__name__, detail)
        if current_app.testing:
            raise JobFailed(detail)
    return queued


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
    """Run one periodic job by name and record its run; what `rq cron` and the thread both call."""
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
    status = found.get_status()
    return {"status": getattr(status, "value", status), **found.meta.get("progress", {})}
