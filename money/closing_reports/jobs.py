"""Background jobs of closing reports: one per closing, and an hourly sweep for any report still missing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.jobs import enqueue, is_inline, job, periodic
from agency.models import AgencyProfile
from cases.models import Case, CaseClosing, CaseStatus, ClosingStatus
from money.closing_reports.reports import report_closing, report_paid
from money.models import ClosingReport

SWEEP_BATCH = 200
# The sweep looks back this many days (older closings came before reports existed: clients are not
# flooded with them).
SWEEP_DAYS = 31


@job
def closing_report_job(closing_id: int) -> str:
    """Produce the report of one closing; a retry or a second push finds it produced and does nothing."""
    closing = db.session.get(CaseClosing, closing_id)
    if closing is None:
        return "missing"
    profile = db.session.get(AgencyProfile, 1)
    if profile is None:
        return "no-profile"  # the sweep produces it once the agency profile is filled in
    return "produced" if report_closing(closing, profile) else "not-due"


@job
def paid_report_job(case_id: int) -> str:
    """Produce the report of a case paid in full."""
    case = db.session.get(Case, case_id)
    profile = db.session.get(AgencyProfile, 1)
    if case is None or profile is None:
        return "missing"
    return "produced" if report_paid(case, profile) else "not-due"


@job(timeout=1_800)
def closing_reports_job(closing_ids: list[int]) -> int:
    """Produce the reports of many closings (a bulk closing's chunk), each once."""
    return sum(closing_report_job(closing_id) == "produced" for closing_id in closing_ids)


def report_closings_later(closing_ids: list[int]) -> None:
    """Ask for the reports of closings, in the transaction that closes the cases (the caller commits): one job
    for a single closing, one for a bulk closing's whole chunk (a job each would be thousands of rows)."""
    if len(closing_ids) == 1:
        enqueue(closing_report_job, closing_ids[0], job_id=f"closing-{closing_ids[0]}-report")
    elif closing_ids:
        enqueue(closing_reports_job, list(closing_ids), job_id=f"closings-{closing_ids[0]}-{len(closing_ids)}-reports")


@periodic(every=3600)
@job
def missing_closing_reports_job() -> int:
    """Produce the reports still missing: closings whose job failed, cases paid in full lately."""
    if db.session.get(AgencyProfile, 1) is None:
        return 0
    reported = sa.select(ClosingReport.id).where(ClosingReport.closing_id == CaseClosing.id).exists()
    closings = db.session.scalars(
        sa.select(CaseClosing.id).where(CaseClosing.status == ClosingStatus.CLOSED.value,
                                        CaseClosing.closed_on >= today() - timedelta(days=SWEEP_DAYS), ~reported)
        .order_by(CaseClosing.id).limit(SWEEP_BATCH)
    ).all()
    paid_reported = sa.select(ClosingReport.id).where(ClosingReport.case_id == Case.id,
                                                      ClosingReport.closing_id.is_(None),
                                                      ClosingReport.closed_on == Case.closed_on).exists()
    paid = db.session.scalars(
        sa.select(Case.id).where(Case.status == CaseStatus.PAID.value,
                                 Case.closed_on >= today() - timedelta(days=SWEEP_DAYS), ~paid_reported)
        .order_by(Case.id).limit(SWEEP_BATCH)
    ).all()
    for closing_id in closings:
        if is_inline():
            closing_report_job(closing_id)
        else:
            enqueue(closing_report_job, closing_id, job_id=f"closing-{closing_id}-report")
    for case_id in paid:
        if is_inline():
            paid_report_job(case_id)
        else:
            enqueue(paid_report_job, case_id, job_id=f"case-{case_id}-paid-report")
    return len(closings) + len(paid)
