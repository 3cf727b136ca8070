"""Background jobs of online payments: the provider's fee of each paid checkout, and a sweep for any still unknown.

The fee is asked after the payment is recorded, not while the provider waits for our answer to its webhook: a
payment never waits on a second call to the provider, and a provider briefly away costs a retry of this job,
not a redelivery of the event.
"""

from __future__ import annotations

import sqlalchemy as sa

from agency import audit
from agency.db import db
from agency.jobs import enqueue, is_inline, job, periodic
from money.models import Checkout, CheckoutStatus
from money.online.provider import get_provider

SWEEP_BATCH = 500


@job
def provider_fee_job(checkout_id: int) -> str:
    """Ask the provider the fee of one paid checkout and keep it; a retry finds it known and does nothing."""
    checkout = db.session.get(Checkout, checkout_id)
    if checkout is None or checkout.status != CheckoutStatus.PAID or not checkout.provider_payment_id:
        return "nothing"
    if checkout.fee_cents is not None:
        return "known"
    fee = get_provider(checkout.provider).payment_fee(checkout.provider_payment_id)  # ProviderUnavailable: retried
    if fee is None:
        return "unknown"
    checkout.fee_cents = fee
    audit.record("checkout.fee", actor=None, actor_label="payment provider", subject=checkout,
                 after={"fee": fee, "fee_borne_by": checkout.fee_borne_by, "payment_id": checkout.payment_id})
    return "recorded"


def fetch_fee_later(checkout_id: int) -> None:
    """Ask for a checkout's fee, in the transaction that records its payment (the caller commits)."""
    enqueue(provider_fee_job, checkout_id, job_id=f"checkout-{checkout_id}-fee")


@periodic(every=3600)
@job
def missing_fees_job() -> int:
    """Ask again the fees still unknown (a job that ran out of retries while the provider was away)."""
    ids = db.session.scalars(
        sa.select(Checkout.id).where(Checkout.status == CheckoutStatus.PAID.value, Checkout.fee_cents.is_(None),
                                     Checkout.provider_payment_id != "")
        .order_by(Checkout.id).limit(SWEEP_BATCH)
    ).all()
    for checkout_id in ids:
        if is_inline():
            provider_fee_job(checkout_id)
        else:
            fetch_fee_later(checkout_id)
    return len(ids)
