"""Background jobs of reports: the refresh of the dashboard's figures and the monthly reports of the clients."""

from __future__ import annotations

from datetime import date

from flask import current_app

from agency import audit
from agency.clock import today
from agency.db import db
from agency.jobs import enqueue, job, periodic
from reports.dashboard import last_refresh
from reports.facts import refresh_figures
from reports.monthly import produce_report
from reports.monthly_figures import clients_due, clients_figures, month_end, previous_month

# Hourly: the page says as of when, and a refresh over a million cases takes a while.
HOUR = 3600
DAY = 24 * HOUR
# Clients per monthly-report job: their figures are read together, one query per family of figures, and
# the jobs of a large agency are shared among the workers.
MONTHLY_BATCH = 25


@periodic(every=HOUR)
@job
def refresh_figures_job() -> int:
    """Recompute the dashboard's figures and its channel lists from the ledger and the actions; return the cases."""
    return refresh_figures().cases


def request_refresh(actor) -> None:
    """Have the figures recomputed now (inline in embedded mode, by a worker otherwise); the caller commits."""
    audit.record("reports.refresh_requested", actor=actor)
    enqueue(refresh_figures_job)


@periodic(every=DAY)
@job
def monthly_reports_job() -> int:
    """Queue last month's reports of the clients that have none yet, in batches; return how many are due.

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
    for start in range(0, len(due), MONTHLY_BATCH):
        enqueue(monthly_reports_batch_job, due[start:start + MONTHLY_BATCH], month.isoformat())
    return len(due)


@job
def monthly_reports_batch_job(client_ids: list[int], month: str) -> int:
    """Produce the month's report (month starting on `month`, ISO date) of each of these clients still owed one.

    Each report is committed on its own: a client whose report fails holds up nobody else, and the job then
    fails so that the queue retries it, which finds only that client's report left to do.
    """
    first = date.fromisoformat(month)
    due = sorted(set(client_ids) & set(clients_due(first)))
    figures = clients_figures(due, first)
    failed = []
    for client_id in due:
        try:
            produce_report(client_id, first, figures=figures[client_id])
            db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("monthly report of client %s for %s failed", client_id, month)
            failed.append(client_id)
    if failed:
        raise RuntimeError(f"monthly reports failed for clients {failed}")
    return len(due)
