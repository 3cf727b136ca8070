"""Claims declared in a debtor's insolvency proceedings (déclaration de créance, C. com. L622-24, R622-23)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class ClaimStatus(StrEnum):
    PREPARED = "prepared"  # the declaration is ready, not yet sent to the mandataire
    FILED = "filed"
    ADMITTED = "admitted"
    PARTLY_ADMITTED = "partly_admitted"
    DISPUTED = "disputed"  # the mandataire disputes it: the judge-commissioner decides
    REJECTED = "rejected"
    DIVIDEND_PAID = "dividend_paid"


class InsolvencyClaim(db.Model):
    """The claim of one case declared to the mandataire judiciaire: what was due at the opening judgment."""

    __tablename__ = "insolvency_claim"
    __table_args__ = (
        enum_check("status", [s.value for s in ClaimStatus]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_insolvency_claim_case_client"),
        sa.UniqueConstraint("case_id", "hold_id", name="uq_insolvency_claim_case_hold"),
        sa.CheckConstraint("due_cents >= 0 AND not_due_cents >= 0", name="amounts"),
        sa.Index("ix_insolvency_claim_deadline", "deadline_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    hold_id: Mapped[int] = mapped_column(sa.ForeignKey("hold.id"))
    judgment_on: Mapped[date]  # the opening judgment: amounts are stated as of that day
    published_on: Mapped[date | None]  # BODACC publication: the filing period runs from it
    deadline_on: Mapped[date | None]
    # Per invoice, as of the judgment: number, dates, principal, interest, indemnity, and whether it was due.
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    due_cents: Mapped[int] = mapped_column(Cents, default=0)  # échu at the judgment
    not_due_cents: Mapped[int] = mapped_column(Cents, default=0)  # à échoir, each with its date in `lines`
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    interest_note: Mapped[str] = mapped_column(sa.Text, default="")
    securities: Mapped[str] = mapped_column(sa.Text, default="")  # privileges, retention of title, guarantees
    status: Mapped[str] = mapped_column(sa.String(16), default=ClaimStatus.PREPARED.value)
    filed_on: Mapped[date | None]
    filed_note: Mapped[str] = mapped_column(sa.Text, default="")
    outcome_on: Mapped[date | None]
    admitted_cents: Mapped[int | None] = mapped_column(Cents)
    dividend_cents: Mapped[int] = mapped_column(Cents, default=0)
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    file_path: Mapped[str] = mapped_column(sa.String(255), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def total_cents(self) -> int:
        return self.due_cents + self.not_due_cents
