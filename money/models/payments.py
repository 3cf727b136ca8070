"""Payments received from debtors, into the agency's trust account or directly by the client."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class PaymentMethod(StrEnum):
    TRANSFER = "transfer"
    CARD = "card"
    CHEQUE = "cheque"
    DIRECT_DEBIT = "direct_debit"
    CASH = "cash"


class PaymentChannel(StrEnum):
    TRUST = "trust"  # received by the agency on its client trust account (R124-2)
    DIRECT = "direct"  # paid to the client, declared by the client: commission is still due


class Payment(db.Model):
    """One payment by a debtor. Its allocation is its ledger entries (`LedgerEntry.payment_id`).

    The amount and allocation never change; a bounced cheque or chargeback is a reversal: new ledger
    entries undoing each allocation line, and `reversed_on` set once.
    """

    __tablename__ = "payment"
    __table_args__ = (
        enum_check("method", [m.value for m in PaymentMethod]),
        enum_check("channel", [c.value for c in PaymentChannel]),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_payment_case_client",
        ),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("commission_cents >= 0 AND commission_vat_cents >= 0", name="commission_non_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        # Submitting the same payment twice (double click, retried request) records it once.
        sa.UniqueConstraint("client_id", "idempotency_key", name="uq_payment_idempotency"),
        sa.Index("ix_payment_case", "case_id", "received_on"),
        sa.Index("ix_payment_client_received", "client_id", "received_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]  # tied to the case's client through (case_id, client_id)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)  # the receipt number
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    received_on: Mapped[date]  # the day the money was actually received (value date)
    method: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(8), default=PaymentChannel.TRUST.value)
    payer_reference: Mapped[str] = mapped_column(sa.String(100), default="")  # bank reference, cheque number
    # The claims the debtor said the payment is for (C. civ. 1342-10), in the order given; empty = none.
    debtor_choice: Mapped[list] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    # The agency's commission on this amount, fixed when recorded from the mandate then in force.
    commission_bp: Mapped[int] = mapped_column(default=0)
    commission_cents: Mapped[int] = mapped_column(Cents, default=0)
    commission_vat_cents: Mapped[int] = mapped_column(Cents, default=0)
    # Overpaid beyond the balance: held as a credit for the debtor until refunded or applied.
    credit_cents: Mapped[int] = mapped_column(Cents, default=0)
    # The case's outstanding balance just after this payment (negative: a credit); above zero = a partial payment.
    balance_after_cents: Mapped[int] = mapped_column(Cents, default=0)
    # The receipt (quittance, R124-6), stored once like letters.
    receipt_path: Mapped[str] = mapped_column(sa.String(255), default="")
    receipt_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    reversed_on: Mapped[date | None]
    reversal_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    reversed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reversed_by: Mapped[User | None] = relationship(foreign_keys=[reversed_by_id])
