"""Background jobs of payments: the receipt of each payment, and a sweep for any receipt still missing."""

from __future__ import annotations

import sqlalchemy as sa

from agency.db import db
from agency.jobs import enqueue, is_inline, job, periodic
from agency.models import AgencyProfile
from money.models import Payment
from money.payments.receipts import issue_receipt

SWEEP_BATCH = 500


@job
def issue_receipt_job(payment_id: int) -> str:
    """Render and store one payment's receipt; a retry finds it issued and does nothing."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return "missing"
    profile = db.session.get(AgencyProfile, 1)
    if profile is None:
        return "no-profile"  # the sweep issues it once the agency profile is filled in
    return "issued" if issue_receipt(payment, profile) else "exists"


def issue_receipt_later(payment_id: int) -> None:
    """Ask for a payment's receipt, in the transaction that records the payment (the caller commits)."""
    enqueue(issue_receipt_job, payment_id, job_id=f"payment-{payment_id}-receipt")


@periodic(every=3600)
@job
def missing_receipts_job() -> int:
    """Issue the receipts still missing (a failed job, a payment recorded without asking for one)."""
    ids = db.session.scalars(
        sa.select(Payment.id).where(Payment.receipt_path == "").order_by(Payment.id).limit(SWEEP_BATCH)
    ).all()
    if db.session.get(AgencyProfile, 1) is None:
        return 0
    if is_inline():
        for payment_id in ids:
            issue_receipt_job(payment_id)
    else:
        for payment_id in ids:
            issue_receipt_later(payment_id)
    return len(ids)
