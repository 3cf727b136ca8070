"""Background jobs of remittances: the statements each mandate's schedule calls for, and their PDFs."""

from __future__ import annotations

from agency.clock import today
from agency.db import db
from agency.jobs import enqueue, job, periodic
from money.models import Remittance
from money.remittances.documents import statement_pdf
from money.remittances.statements import run_remittances, scheduled_runs

DAY = 24 * 3600


@periodic(every=DAY)
@job
def issue_due_statements_job() -> dict:
    """Issue the statements whose period is over (monthly on the 1st, weekly on Mondays, fortnightly 1st/16th).

    Each client's latest period end is computed from today, so a day the job did not run is caught up
    the next day; a client already issued for that period gets nothing more.
    """
    issued = {}
    for period_end, client_ids in sorted(scheduled_runs(today()).items()):
        statements = run_remittances(period_end, client_ids)
        issued[period_end.isoformat()] = len(statements)
        for remittance in statements:
            enqueue(store_statement_pdf_job, remittance.id, job_id=f"remittance-{remittance.id}-pdf")
        db.session.commit()  # the statements and the jobs rendering their documents, together
    return issued


@job
def store_statement_pdf_job(remittance_id: int) -> str:
    """Render and store a statement's PDF once (a retry finds it stored)."""
    remittance = db.session.get(Remittance, remittance_id)
    if remittance is None:
        return "missing"
    if remittance.pdf_path:
        return "stored already"
    statement_pdf(remittance)
    return "stored"
