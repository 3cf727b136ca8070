"""The job seam: inline in embedded mode, Redis + RQ workers in real mode, periodic work on a thread."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from agency import jobs
from agency.db import db
from agency.models import PeriodicRun
from tests.conftest import burst_worker


@jobs.job
def fail_loudly(reason: str) -> None:
    """A job that always fails, to see that failures reach someone."""
    raise RuntimeError(reason)


def last_run(name: str) -> PeriodicRun | None:
    return db.session.scalar(sa.select(PeriodicRun).where(PeriodicRun.name == name))


def test_periodic_jobs_are_declared_once_for_both_modes():
    names = [p.name for p in jobs.PERIODIC]
    assert "agency.jobs.heartbeat" in names and len(names) == len(set(names))


def test_enqueue_refuses_plain_functions(app):
    with app.app_context(), pytest.raises(TypeError):
        jobs.enqueue(print, "x")


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="embedded mode only: REDIS_URL is set")
def test_embedded_mode_runs_jobs_inline_and_reports_failures(app, db_session):
    assert jobs.is_inline()
    job = jobs.enqueue(jobs.run_periodic, "agency.jobs.heartbeat")
    assert job.is_finished
    assert last_run("agency.jobs.heartbeat").last_error == ""
    with pytest.raises(jobs.JobFailed, match="disk on fire"):
        jobs.enqueue(fail_loudly, "disk on fire")


# Each mode's test runs in its own CI pass: embedded (SQLite, no REDIS_URL), then real (PostgreSQL + Redis).
@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="embedded mode only: real mode uses its cron")
def test_scheduler_thread_runs_due_periodic_jobs(app, db_session):
    scheduler = jobs.SchedulerThread(app)
    scheduler.run_due(time.monotonic())
    first = last_run("agency.jobs.heartbeat").last_finished_at
    scheduler.run_due(time.monotonic())  # not due again before its interval
    assert last_run("agency.jobs.heartbeat").last_finished_at == first
    scheduler.run_due(time.monotonic() + 301)
    assert last_run("agency.jobs.heartbeat").last_finished_at > first


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="real mode: needs REDIS_URL (CI sets it)")
def test_real_mode_queues_in_redis_and_a_worker_runs_the_job(app, db_session):
    queue = jobs.get_queue()
    assert not jobs.is_inline()
    queue.empty()
    queued = jobs.enqueue(jobs.run_periodic, "agency.jobs.heartbeat")
    failing = jobs.enqueue(fail_loudly, "disk on fire")
    assert queue.count == 0  # written in the transaction: nothing reaches Redis before the commit
    db_session.commit()
    assert queued.job().get_status() == "queued" and last_run("agency.jobs.heartbeat") is None
    assert failing.job().retries_left == 3  # real mode retries with the default policy
    burst_worker(queue).work(burst=True, max_jobs=2)
    assert last_run("agency.jobs.heartbeat").last_error == ""
    assert queued.job().get_status(refresh=True) == "finished"
    assert failing.job().get_status(refresh=True) in ("scheduled", "failed")  # retried later, never swallowed
    queue.empty()
