"""Background jobs of plans: the agreement letter of a plan that runs, and the daily marking of instalments."""

from __future__ import annotations

from agency.clock import today
from agency.db import db
from agency.jobs import job, periodic
from money.models import PaymentPlan, PlanStatus
from money.plans.documents import store_agreement
from money.plans.marking import active_plan_ids, refresh_plans

DAY = 24 * 3600
# Plans marked per statement and per commit: one batch's instalments stay in memory at a time.
BATCH = 2_000


@job
def agreement_job(plan_id: int) -> str:
    """Render and store a running plan's agreement letter once (a retry finds it stored)."""
    plan = db.session.get(PaymentPlan, plan_id)
    if plan is None or plan.status in (PlanStatus.AWAITING_AGENCY, PlanStatus.AWAITING_CLIENT, PlanStatus.REFUSED):
        return "skipped"
    if plan.agreement_sha256:
        return "stored"
    store_agreement(plan)
    return "rendered"


@periodic(every=DAY)
@job
def mark_plans_job() -> dict:
    """Mark every active plan's instalments paid, late or missed; end the plans completed or broken."""
    day = today()
    counts: dict[str, int] = {}
    ids = active_plan_ids()
    for start in range(0, len(ids), BATCH):
        for status in refresh_plans(ids[start : start + BATCH], day).values():
            counts[status] = counts.get(status, 0) + 1
        db.session.commit()  # a long run keeps what it marked if a later batch fails
    return counts
