"""Background jobs of reports: the refresh of the dashboard's figures and the monthly reports of the clients."""

from __future__ import annotations

from datetime import date

from agency import audit
from agency.clock import today
from agency.jobs import enqueue, job, periodic
from reports.dashboard import last_refresh
from reports.facts import refresh_figures
from reports.monthly import clients_due, month_end, previous_month, produce_report

# Hourly: the page says as of when, and a refresh over a million cases takes a while.
HOUR = 3600
DAY = 24 * HOUR


@periodic(every=HOUR)
@job
def refresh_figures_job() -> int:
    """Recompute the dashboard's figures from the ledger and the action history; return the cases covered."""
    return refresh_figures().cases


def request_refresh(actor) -> None:
    """Have the figures recomputed now (inline in embedded mode, by a worker otherwise); the caller commits."""
    audit.record("reports.refresh_requested", actor=actor)
    enqueue(refresh_figures_job)


@periodic(every=DAY)
@job
def monthly_reports_job() -> int:
    """Queue last month's report of every client that has none yet, one job each; return how many were queued.

    Daily rather than monthly so that a day missed by the scheduler is caught up the next day; a client's
    report is produced once (unique per client and month), so the later runs find nothing left to do.
    """
    month = previous_month(today())
    due = clients_due(month)
    if not due:
        return 0
    refreshed = last_refresh()
    # The recovery rate and the curves come from the pre-computed figures: they must cover the whole month.
    if refreshed is None or refreshed.refreshed_at.date() <= month_end(month):
        refresh_figures()
    for client_id in due:
        # One job per client: a client whose report fails is retried alone and holds up nobody else.
        enqueue(monthly_report_job, client_id, month.isoformat())
    return len(due)


@job
def monthly_report_job(client_id: int, month: str) -> int:
    """Produce the client's report for the month starting on `month` (ISO date), unless it exists; return its id."""
    return produce_report(client_id, date.fromisoformat(month)).id
