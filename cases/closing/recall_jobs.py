"""The daily recall run: cases whose recall notice has run are closed with reason `recalled`."""

from __future__ import annotations

from agency.clock import today
from agency.jobs import job, periodic
from cases.closing.recall import close_due_recalls

DAY = 24 * 3600


@periodic(every=DAY)
@job
def close_due_recalls_job() -> int:
    """Close the recalled cases whose notice ends today or earlier; return how many."""
    return close_due_recalls(today())
