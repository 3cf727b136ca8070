"""What the client decides about a case: a recall, a credit note on an invoice, its answer to an upheld dispute."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case, Claim


class RecallStatus(StrEnum):
    PENDING = "pending"  # the mandate's notice runs: the case closes on `effective_on`
    CLOSED = "closed"  # the case was closed with reason `recalled`


class CaseRecall(db.Model):
    """A client's recall of one of its cases, with what the mandate charges for it and when it takes effect."""

    __tablename__ = "case_recall"
    __table_args__ = (
        enum_check("status", [s.value for s in RecallStatus]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_case_recall_case_client"),
        sa.CheckConstraint("fee_cents >= 0 AND fee_vat_cents >= 0", name="fee_non_negative"),
        sa.Index("ix_case_recall_due", "status", "effective_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default=RecallStatus.PENDING.value)
    requested_on: Mapped[date]
    notice_days: Mapped[int] = mapped_column(default=0)
    effective_on: Mapped[date]  # the day the case closes: requested_on + the mandate's notice
    # The mandate's recall fee, excl. VAT, and its VAT: owed by the client, never by the debtor (L111-8).
    fee_cents: Mapped[int] = mapped_column(Cents, default=0)
    fee_vat_cents: Mapped[int] = mapped_column(Cents, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    judicial_confirmed: Mapped[bool] = mapped_column(default=False)  # consequences accepted (judicial stage)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closing_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("case_closing.id"))

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User | None] = relationship()


class CreditNote(db.Model):
    """A credit note the client issued on one invoice; its `credit_note` ledger entry reduces the claim."""

    __tablename__ = "credit_note"
    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_credit_note_case_client"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        enum_check("received_via", ["portal", "staff"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"))
    reference: Mapped[str] = mapped_column(sa.String(64))
    issued_on: Mapped[date]
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    received_via: Mapped[str] = mapped_column(sa.String(8))  # posted by the client, or recorded by staff
    entry_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("ledger_entry.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    claim: Mapped[Claim] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class DecisionStatus(StrEnum):
    WAITING = "waiting"  # the dispute was upheld: the case waits for the client
    CREDIT_NOTE = "credit_note"  # the client posted a credit note
    WITHDRAWN = "withdrawn"  # the client withdrew the claim: the case is closed
    MAINTAINED = "maintained"  # the client maintains the claim: collection resumes


class ClientDecision(db.Model):
    """The client's decision asked for when a dispute is upheld, and its answer."""

    __tablename__ = "client_decision"
    __table_args__ = (
        enum_check("status", [s.value for s in DecisionStatus]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_client_decision_case_client"),
        sa.Index("ix_client_decision_waiting", "client_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    hold_id: Mapped[int] = mapped_column(sa.ForeignKey("hold.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default=DecisionStatus.WAITING.value)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="")  # the client's reason
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    answered_by: Mapped[User | None] = relationship()
