"""Producing a closing report: once per closing, its figures gathered, its PDF rendered and stored (SHA-256).

The report lives in `money`, not in `cases/closing/`: what was collected, the commission and what was
remitted are money's rows, and `cases` may not import `money` while `money` imports `cases` freely. A
closing reaches it through `cases.extensions` (`add_closed_hook`, registered in `hooks.py`); a case paid in
full, which closes in `money.payments` without a closing row, is found by the hourly sweep (`jobs.py`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency import audit
from agency.db import db
from agency.models import AgencyProfile
from cases.letters.storage import read_document, store_document
from cases.models import Case, CaseClosing, CaseStatus, ClosingStatus
from money.closing_reports.documents import render_report
from money.closing_reports.figures import closing_part, gather
from money.models import ClosingReport

FOLDER = "closing-reports"


def closing_key(closing_id: int) -> str:
    return f"closing-{closing_id}"


def paid_key(case: Case) -> str:
    return f"paid-{case.id}-{case.closed_on:%Y%m%d}"


def report_closing(closing: CaseClosing, profile: AgencyProfile) -> ClosingReport | None:
    """Produce the report of a closing; None when it was reopened before, or when it exists already."""
    if closing.status != ClosingStatus.CLOSED.value or closing.closed_on is None:
        return None  # reopened (or never confirmed): nothing was returned to the client
    if _exists(closing_key(closing.id)):
        return None
    return _produce(closing.case, closing, closing.reason_code, closing.closed_on, closing_key(closing.id), profile)


def report_paid(case: Case, profile: AgencyProfile) -> ClosingReport | None:
    """Produce the report of a case paid in full (or by a completed settlement); None when not due or done."""
    if case.status != CaseStatus.PAID.value or case.closed_on is None or _exists(paid_key(case)):
        return None
    return _produce(case, None, "paid_in_full", case.closed_on, paid_key(case), profile)


def report_pdf(report: ClosingReport) -> bytes:
    """Return the stored PDF, checked against its SHA-256."""
    return read_document(report.pdf_path, report.pdf_sha256)


def _exists(key: str) -> bool:
    return db.session.scalar(sa.select(ClosingReport.id).where(ClosingReport.key == key)) is not None


def _produce(case: Case, closing: CaseClosing | None, reason_code: str, closed_on: date, key: str,
             profile: AgencyProfile) -> ClosingReport:
    figures = gather(case, closing, reason_code, closed_on)
    if closing is None and figures["written_off_cents"] > 0:  # a settlement paid: the rest written off as agreed
        reason_code = "settled"
        figures["closing"] = closing_part(None, reason_code, closed_on)
    number = db.session.scalar(sa.select(sa.func.count()).where(ClosingReport.case_id == case.id)) + 1
    report = ClosingReport(key=key, reference=f"RC-{case.reference}-{number}", case_id=case.id,
                           client_id=case.client_id, closing_id=closing.id if closing else None,
                           reason_code=reason_code, closed_on=closed_on, currency=case.currency, language="fr",
                           figures=figures)
    db.session.add(report)
    db.session.flush()  # a second run of the same closing stops here, on the unique key
    stored = store_document(render_report(report, profile), f"{FOLDER}/{case.client_id}", report.reference)
    report.pdf_path, report.pdf_sha256 = stored.path, stored.sha256
    audit.record("case.closing_report_produced", actor=None, subject=report, client_id=case.client_id,
                 after={"case": case.reference, "reference": report.reference, "reason": reason_code,
                        "pdf_path": stored.path, "sha256": stored.sha256})
    return report
