"""Background jobs of cases.work: the daily strategy, its automatic steps, promise reminders and checks.

Each job that acts on one row runs under an id derived from that row (`strategy-action-<id>`,
`promise-reminder-<id>`), reloads it and checks its state again, so a retry never acts twice.
"""

from __future__ import annotations

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from agency.clock import today
from agency.db import db, utcnow
from agency.jobs import enqueue, get_queue, is_inline, job, periodic
from cases.models import Action, Promise
from cases.work.promises import promises_to_remind, remind_promise, resolve_due_promises
from cases.work.strategy import advance_strategy, due_automatic_actions, run_step

DAY = 24 * 3600
# How many automatic actions one dispatch hands to the workers; the rest go at the next dispatch.
DISPATCH_BATCH = 20_000
WAITING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


@periodic(every=DAY)
@job
def advance_strategy_job() -> dict:
    """Create the strategy's due actions for all cases, then hand the automatic ones to the workers."""
    counts = advance_strategy(utcnow())
    db.session.commit()  # workers on other machines must see the new actions
    counts["dispatched"] = dispatch_strategy_actions()
    return counts


@periodic(every=900)
@job
def dispatch_strategy_actions_job() -> int:
    """Hand the automatic actions now due (including those deferred to opening hours) to the workers."""
    return dispatch_strategy_actions()


def dispatch_strategy_actions() -> int:
    """Enqueue one job per automatic strategy action due, under an id derived from the action."""
    sent = 0
    for action_id in due_automatic_actions(utcnow(), DISPATCH_BATCH):
        job_id = f"strategy-action-{action_id}"
        if not is_inline() and _waiting(job_id):
            continue
        enqueue(run_strategy_action, action_id, job_id=job_id)
        sent += 1
    return sent


@job
def run_strategy_action(action_id: int) -> str:
    """Carry out one automatic strategy action (a retry finds it done and does nothing)."""
    action = db.session.get(Action, action_id)
    if action is None:
        return "missing"
    return run_step(action, now=utcnow())


@periodic(every=3600)
@job
def promise_reminders_job() -> int:
    """Enqueue the reminder of every promise falling due in the next days and not yet reminded."""
    ids = promises_to_remind(today())
    for promise_id in ids:
        enqueue(remind_promise_job, promise_id, job_id=f"promise-reminder-{promise_id}")
    return len(ids)


@job(timeout=120)  # one SMS recorded; its delivery is a job of its own
def remind_promise_job(promise_id: int) -> bool:
    """Send one promise's reminder SMS if it is still due and allowed now."""
    promise = db.session.get(Promise, promise_id)
    return promise is not None and remind_promise(promise, now=utcnow())


@periodic(every=3600)
@job
def check_promises_job() -> dict:
    """Settle the promises whose date has passed: kept, partly kept or broken."""
    return resolve_due_promises(today())


def _waiting(job_id: str) -> bool:
    """Tell whether a job of that id is already waiting or running in Redis."""
    try:
        return Job.fetch(job_id, connection=get_queue().connection).get_status() in WAITING
    except NoSuchJobError:
        return False
