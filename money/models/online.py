"""Online payments: the checkout sessions we open with a card payment provider, and the provider's events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from cases.models.case import Case


class CheckoutPurpose(StrEnum):
    FULL = "full"  # the whole outstanding balance
    INSTALMENT = "instalment"  # the next instalment of the running plan
    OWN = "own"  # an amount the debtor chose, at least the mandate's minimum


class CheckoutStatus(StrEnum):
    OPEN = "open"  # the debtor is on the provider's page, or left it
    PAID = "paid"  # the provider's signed event said so: the payment is recorded
    FAILED = "failed"  # the last attempt was declined; the session may still be paid until it expires
    EXPIRED = "expired"  # the provider closed the session unpaid


class FeeBorneBy(StrEnum):
    AGENCY = "agency"  # a cost of the agency's own, covered by its commission
    CLIENT = "client"  # deducted from what is remitted to the client


class Checkout(db.Model):
    """A payment page opened with the provider for one case; paid at most once, recorded from its webhook only."""

    __tablename__ = "online_checkout"
    __table_args__ = (
        enum_check("purpose", [p.value for p in CheckoutPurpose]),
        enum_check("status", [s.value for s in CheckoutStatus]),
        enum_check("fee_borne_by", [f.value for f in FeeBorneBy]),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_online_checkout_case_client",
        ),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("fee_cents IS NULL OR fee_cents >= 0", name="fee_non_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        sa.UniqueConstraint("provider", "provider_session_id", name="uq_online_checkout_session"),
        sa.Index("ix_online_checkout_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]
    # Ours, given to the provider (client reference, metadata) before its session exists.
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    provider: Mapped[str] = mapped_column(sa.String(16))
    provider_session_id: Mapped[str | None] = mapped_column(sa.String(255))
    url: Mapped[str] = mapped_column(sa.Text, default="")  # the provider's payment page
    purpose: Mapped[str] = mapped_column(sa.String(12))
    amount_cents: Mapped[int] = mapped_column(Cents)  # asked; the payment records what the provider collected
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    status: Mapped[str] = mapped_column(sa.String(8), default=CheckoutStatus.OPEN.value)
    failure_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    provider_payment_id: Mapped[str] = mapped_column(sa.String(255), default="")  # Stripe's PaymentIntent
    # The provider's fee on the payment, and who bears it under the mandate in force when it was paid.
    fee_cents: Mapped[int | None] = mapped_column(Cents)
    fee_borne_by: Mapped[str] = mapped_column(sa.String(8), default=FeeBorneBy.AGENCY.value)
    payment_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("payment.id"), unique=True)
    actor_label: Mapped[str] = mapped_column(sa.String(200), default="")  # who opened it (the debtor's space)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # paid, or last failed, or expired

    case: Mapped[Case] = relationship()


class ProviderEvent(db.Model):
    """One event a provider delivered, kept once: a second delivery of the same event finds it and does nothing."""

    __tablename__ = "online_provider_event"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_event_id", name="uq_online_provider_event"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(16))
    provider_event_id: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(16))  # paid, failed, expired, or the provider's own type
    provider_session_id: Mapped[str] = mapped_column(sa.String(255), default="")
    checkout_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("online_checkout.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(24))  # what receiving it did (recorded, already_paid…)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
