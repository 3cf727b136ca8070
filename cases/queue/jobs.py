"""Background jobs of cases.queue: the daily priority refresh and freeing leases that ran out."""

from __future__ import annotations

from agency.db import utcnow
from agency.jobs import job, periodic
from cases.queue.leases import expire_leases
from cases.queue.queue import refresh_scores

DAY = 24 * 3600


@periodic(every=DAY)
@job
def refresh_queue_scores() -> int:
    """Recompute every open case's priority score (set-based); return how many changed."""
    return refresh_scores(utcnow())


@periodic(every=300)
@job
def expire_queue_leases() -> int:
    """Free, and audit, the leases collectors left to run out; return how many."""
    return expire_leases(utcnow())
