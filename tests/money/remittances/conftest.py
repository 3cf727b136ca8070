"""Builders for remittance tests: cases with payments recorded and reversed through money.payments."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from agency.db import db
from agency.models import CommissionBand
from cases.models import Case
from money.models import Payment
from money.payments.payments import record_payment, reverse_payment
from tests import factories

_keys = itertools.count(1)


def pay(case: Case, cents: int, on: date, channel: str = "trust", method: str = "transfer") -> Payment:
    """Record a payment on `case` the way the payment form does."""
    return record_payment(case, amount_cents=cents, received_on=on, method=method, channel=channel,
                          idempotency_key=f"remit-test-{next(_keys)}", actor=None)


def reverse(payment: Payment, on: date) -> None:
    """Reverse a payment (a bounced cheque)."""
    reverse_payment(payment, reason="chèque impayé", on=on, actor=None)


@pytest.fixture
def creditor(db_session):
    """A client whose mandate takes 15 % + 20 % VAT and a €25 fee per case; an IBAN for remittances."""
    client = factories.client(remittance_iban="FR7630006000011234567890189")
    mandate = client.mandates[0]
    mandate.fixed_fee_cents = 2_500
    db_session.flush()
    return client


def add_band(mandate, *, age: int = 0, principal: int = 0, rate_bp: int) -> CommissionBand:
    band = CommissionBand(mandate_id=mandate.id, from_age_days=age, from_principal_cents=principal, rate_bp=rate_bp)
    db.session.add(band)
    db.session.flush()
    db.session.refresh(mandate)
    return band
