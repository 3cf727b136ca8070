"""The job outbox: follow-up work is written in the same transaction as the change that needs it.

Real mode only (embedded mode runs jobs inline, with no Redis to lose). `agency.jobs.enqueue` adds a
row here, in the caller's transaction; once that transaction commits, the row is pushed to Redis.
If Redis is away, nothing is lost and the user sees no error: the committed row waits, and `sweep`
(a periodic job) pushes it again once Redis is back. The job marks its row done in the same
transaction as its own work, so a job pushed twice (by the relay and by the sweep) runs its work once.

    enqueue ──(caller's transaction)──▶ job_outbox row ──after commit──▶ Redis ──▶ worker
                                          ▲                                        │
                                          └── sweep: not done, not in Redis ◀──────┘ done_at, same commit
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
import sqlalchemy as sa
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Mapped, Session, mapped_column

from agency.db import BigId, UTCDateTime, db, utcnow

log = logging.getLogger(__name__)

PENDING = "done_at IS NULL AND failed_at IS NULL"
# The sweep leaves alone what the after-commit push is about to do.
SWEEP_AFTER = timedelta(seconds=60)
# A job that keeps failing after RQ's own retries is pushed again this many times, then shown failed.
MAX_RELAYS = 5
SWEEP_BATCH = 1000
ALIVE = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


class OutboxJob(db.Model):
    """One follow-up job, committed with the change that needs it."""

    __tablename__ = "job_outbox"
    __table_args__ = (
        sa.Index("ix_job_outbox_pending", "created_at", postgresql_where=sa.text(PENDING),
                 sqlite_where=sa.text(PENDING)),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    func: Mapped[str] = mapped_column(sa.String(200))  # "module.function" of a @job
    args: Mapped[list] = mapped_column(sa.JSON)
    kwargs: Mapped[dict] = mapped_column(sa.JSON)
    job_id: Mapped[str] = mapped_column(sa.String(128), index=True)  # the RQ job's id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    relays: Mapped[int] = mapped_column(default=0, server_default="0")
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


@dataclass(frozen=True)
class Push:
    """What the after-commit relay pushes: enough to enqueue without reading the database again."""

    outbox_id: int
    func: str
    args: list
    kwargs: dict
    job_id: str
    options: dict  # retry, timeout
    # The request that enqueued the job, for the worker's log lines; not kept in the row, so a job the sweep
    # pushes again (Redis was away) runs without it.
    request_id: str | None = None


def write(session: Session, func: str, args: tuple, kwargs: dict, job_id: str | None, options: dict,
          request_id: str | None = None) -> Push:
    """Add a job to the outbox in `session`'s transaction; it is pushed once the transaction commits."""
    row = OutboxJob(func=func, args=list(args), kwargs=dict(kwargs), job_id=job_id or f"job-{uuid.uuid4().hex}")
    session.add(row)
    session.flush()  # the id goes into the job's meta, for the job to mark its row done
    push = Push(row.id, row.func, row.args, row.kwargs, row.job_id, options, request_id)
    session.info.setdefault("outbox", []).append(push)
    return push


def push(queue: Queue, item: Push) -> bool:
    """Enqueue one outbox job in Redis; False (logged, never raised) when Redis cannot be reached."""
    try:
        meta = {"outbox_id": item.outbox_id}
        if item.request_id:
            meta["request_id"] = item.request_id
        queue.enqueue_call(item.func, args=item.args, kwargs=item.kwargs, job_id=item.job_id, meta=meta,
                           **item.options)
    except redis.exceptions.RedisError as exc:
        log.warning("job %s (%s) kept in the outbox: Redis is unreachable (%s)", item.job_id, item.func, exc)
        return False
    return True


def relay_after_commit(session: Session, queue_of) -> None:
    """Push what the committed transaction wrote to the outbox (`queue_of()` gives the app's queue)."""
    items = session.info.pop("outbox", [])
    if not items:
        return
    queue = queue_of()
    for item in items:
        if not push(queue, item):
            return  # the rest would fail too; the sweep pushes them once Redis is back


def forget_after_rollback(session: Session) -> None:
    session.info.pop("outbox", None)


def claim(outbox_id: int) -> bool:
    """Lock the job's outbox row for this transaction; False when its work was already done (a second push)."""
    row = db.session.scalar(sa.select(OutboxJob).where(OutboxJob.id == outbox_id).with_for_update())
    return row is None or row.done_at is None


def mark_done(outbox_id: int) -> None:
    """Mark the job's row done, in the transaction that commits the job's work."""
    db.session.execute(sa.update(OutboxJob).where(OutboxJob.id == outbox_id).values(done_at=utcnow()))


def sweep(queue: Queue, now: datetime | None = None, options_of=None) -> dict[str, int]:
    """Push again what is committed but not done and not waiting in Redis; give up (shown) after MAX_RELAYS.

    `options_of(func)` returns a job's retry and timeout options. Returns counts for the log and the tests.
    """
    now = now or utcnow()
    counts = {"pushed": 0, "done": 0, "failed": 0, "waiting": 0}
    rows = db.session.scalars(
        sa.select(OutboxJob)
        .where(OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None), OutboxJob.created_at < now - SWEEP_AFTER)
        .order_by(OutboxJob.id)
        .limit(SWEEP_BATCH)
    ).all()
    for row in rows:
        status, error = _redis_status(queue, row.job_id)
        if status in ALIVE:
            counts["waiting"] += 1
            continue
        if status == JobStatus.FINISHED:  # ran, but not through a @job that marks its row
            row.done_at = now
            counts["done"] += 1
            continue
        if error:
            row.last_error = error[-2000:]
        if row.relays >= MAX_RELAYS:
            row.failed_at = now
            counts["failed"] += 1
            continue
        item = Push(row.id, row.func, row.args, row.kwargs, row.job_id, options_of(row.func) if options_of else {})
        if not push(queue, item):
            break  # Redis is away again: the next sweep goes on
        row.relays, row.relayed_at = row.relays + 1, now
        counts["pushed"] += 1
    return counts


def _redis_status(queue: Queue, job_id: str) -> tuple[JobStatus | None, str]:
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return None, ""
    status = job.get_status(refresh=False)
    if status == JobStatus.FAILED:
        result = job.latest_result()
        return status, (result.exc_string or "") if result else ""
    return status, ""


def stuck_counts(now: datetime | None = None) -> dict[str, Any]:
    """What the system page shows: jobs waiting longer than the sweep's delay, and jobs given up."""
    now = now or utcnow()
    waiting = db.session.scalar(sa.select(sa.func.count(OutboxJob.id)).where(
        OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None), OutboxJob.created_at < now - SWEEP_AFTER))
    failed = db.session.scalars(
        sa.select(OutboxJob).where(OutboxJob.failed_at.is_not(None), OutboxJob.done_at.is_(None))
        .order_by(OutboxJob.failed_at.desc()).limit(20)
    ).all()
    return {"waiting": waiting or 0, "failed": failed}
