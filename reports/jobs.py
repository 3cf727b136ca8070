"""Background jobs of reports: the refresh of the dashboard's figures."""

from __future__ import annotations

from agency import audit
from agency.jobs import enqueue, job, periodic
from reports.facts import refresh_figures

# Hourly: the page says as of when, and a refresh over a million cases takes a while.
HOUR = 3600


@periodic(every=HOUR)
@job
def refresh_figures_job() -> int:
    """Recompute the dashboard's figures from the ledger and the action history; return the cases covered."""
    return refresh_figures().cases


def request_refresh(actor) -> None:
    """Have the figures recomputed now (inline in embedded mode, by a worker otherwise); the caller commits."""
    audit.record("reports.refresh_requested", actor=actor)
    enqueue(refresh_figures_job)
