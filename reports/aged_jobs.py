"""Background job of the aged balance: its hourly recomputation, and on a manager's demand."""

from __future__ import annotations

from agency import audit
from agency.clock import today
from agency.jobs import enqueue, job, periodic
from reports.aged_snapshot import refresh_aged

# Hourly, like the dashboard's figures: the page says as of when, and a million cases take a while.
HOUR = 3600


@periodic(every=HOUR)
@job
def refresh_aged_job() -> int:
    """Recompute the aged balance as of today from the ledger; return the cases owing something."""
    return refresh_aged(today()).cases


def request_aged_refresh(actor) -> None:
    """Have the aged balance recomputed now (inline in embedded mode, by a worker otherwise); the caller commits."""
    audit.record("reports.aged_refresh_requested", actor=actor)
    enqueue(refresh_aged_job)
