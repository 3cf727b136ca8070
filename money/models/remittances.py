"""Remittances: what the agency owes each client for a period, and the money movements behind it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import Client, User
from cases.models.recall import CaseRecall


class RemittanceStatus(StrEnum):
    ISSUED = "issued"  # the statement is final; the transfer is still to be made
    PAID = "paid"  # a manager recorded the transfer to the client


class LineKind(StrEnum):
    PAYMENT = "payment"
    REVERSAL = "reversal"  # a payment reversed after it was remitted comes back as a negative line
    FIXED_FEE = "fixed_fee"  # the mandate's fee per case, charged once
    RECALL_FEE = "recall_fee"  # the mandate's fee for a recalled case, charged once the recall took effect
    # The card provider's fee on a payment made online, where the mandate puts it on the client: a negative
    # movement of the trust account (the provider pays out the payment less its fee), one per payment.
    CARD_FEE = "card_fee"


class Remittance(db.Model):
    """One client's statement for a period: collected, commission and VAT, direct payments, net to transfer.

    Totals are the sums of its lines, fixed when issued. `net_cents` may be negative: commission on
    payments made directly to the client can exceed what the trust account holds for it.
    """

    __tablename__ = "remittance"
    __table_args__ = (
        enum_check("status", [s.value for s in RemittanceStatus]),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        sa.CheckConstraint("status <> 'paid' OR paid_on IS NOT NULL", name="paid_has_date"),
        sa.UniqueConstraint("client_id", "period_end", name="uq_remittance_client_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    mandate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mandate.id"))
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(8), default=RemittanceStatus.ISSUED.value)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    trust_collected_cents: Mapped[int] = mapped_column(Cents, default=0)  # net of reversals
    direct_collected_cents: Mapped[int] = mapped_column(Cents, default=0)  # paid to the client, to offset
    commission_cents: Mapped[int] = mapped_column(Cents, default=0)  # on both, fixed and recall fees included
    vat_cents: Mapped[int] = mapped_column(Cents, default=0)
    net_cents: Mapped[int] = mapped_column(Cents, default=0)  # trust collected − commission − VAT
    pdf_path: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    paid_on: Mapped[date | None]
    paid_reference: Mapped[str] = mapped_column(sa.String(100), default="")  # the bank transfer's reference
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    client: Mapped[Client] = relationship()
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])


class RemittanceLine(db.Model):
    """One money movement in a statement. Each movement is remitted once (unique indexes)."""

    __tablename__ = "remittance_line"
    __table_args__ = (
        enum_check("kind", [k.value for k in LineKind]),
        sa.Index(
            "uq_remittance_line_movement", "payment_id", "kind", unique=True,
            postgresql_where=sa.text("payment_id IS NOT NULL"), sqlite_where=sa.text("payment_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_remittance_line_fixed_fee", "case_id", unique=True,
            postgresql_where=sa.text("kind = 'fixed_fee'"), sqlite_where=sa.text("kind = 'fixed_fee'"),
        ),
        sa.Index(
            "uq_remittance_line_recall_fee", "recall_id", unique=True,
            postgresql_where=sa.text("recall_id IS NOT NULL"), sqlite_where=sa.text("recall_id IS NOT NULL"),
        ),
        # A recall fee names its recall and nothing else does: the unique index above then covers every fee.
        sa.CheckConstraint(
            "(kind = 'recall_fee' AND recall_id IS NOT NULL) OR (kind <> 'recall_fee' AND recall_id IS NULL)",
            name="recall_fee_has_recall",
        ),
        sa.Index("ix_remittance_line_remittance", "remittance_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(sa.ForeignKey("remittance.id"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("collection_case.id"))
    payment_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("payment.id"))
    recall_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(CaseRecall.id))
    kind: Mapped[str] = mapped_column(sa.String(12))
    channel: Mapped[str] = mapped_column(sa.String(8))
    occurred_on: Mapped[date]
    amount_cents: Mapped[int] = mapped_column(Cents)  # signed: a reversal is negative; a fee is 0
    commission_cents: Mapped[int] = mapped_column(Cents)  # signed like the amount
    vat_cents: Mapped[int] = mapped_column(Cents)
