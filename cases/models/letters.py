"""Letters sent to debtors: first notice, reminder, formal notice, each stored as a PDF with its hash."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class LetterKind(StrEnum):
    FIRST_NOTICE = "first_notice"  # carries every mention of CPCE R124-4
    REMINDER = "reminder"
    FORMAL_NOTICE = "formal_notice"  # mise en demeure: needs a manager's approval


class LetterStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ISSUED = "issued"  # rendered, stored, hashed: the document the debtor receives
    # Sent outside the platform (before the case came to it): date, deadline and amounts recorded, no document.
    RECORDED = "recorded"
    REJECTED = "rejected"  # a manager refused the formal notice
    CANCELLED = "cancelled"


# The letters the debtor received: they count for the order of letters, the first notice's reference and
# the formal notice from which interest runs.
SENT_STATUSES = (LetterStatus.ISSUED.value, LetterStatus.RECORDED.value)


class Letter(db.Model):
    """One letter of a case. Once issued its PDF is never rewritten: `sha256` proves what was sent."""

    __tablename__ = "letter"
    __table_args__ = (
        enum_check("kind", [k.value for k in LetterKind]),
        enum_check("status", [s.value for s in LetterStatus]),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_letter_case_client",
        ),
        sa.CheckConstraint("status <> 'issued' OR (sha256 <> '' AND issued_on IS NOT NULL)", name="issued_has_file"),
        sa.CheckConstraint("principal_cents >= 0 AND interest_cents >= 0 AND other_cents >= 0", name="amounts"),
        sa.Index("ix_letter_case", "case_id", "id"),
        # The "find a new address" list reads the returned letters only, newest first.
        sa.Index("ix_letter_returned", "returned_on", "case_id", postgresql_where=sa.text("returned_on IS NOT NULL"),
                 sqlite_where=sa.text("returned_on IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]  # tied to the case's client through (case_id, client_id)
    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    # Later letters repeat the first notice's reference and date (R124-4, last paragraph).
    first_notice_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("letter.id"))
    # The amounts printed, split as R124-4 demands (never the agency's fees).
    principal_cents: Mapped[int] = mapped_column(Cents, default=0)
    interest_cents: Mapped[int] = mapped_column(Cents, default=0)
    other_cents: Mapped[int] = mapped_column(Cents, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    pay_by: Mapped[date | None]  # the deadline given to the debtor
    # The postal address printed in the window, as it was when the letter was issued.
    recipient: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    issued_on: Mapped[date | None]
    file_path: Mapped[str] = mapped_column(sa.String(255), default="")  # under the documents folder
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approval or rejection
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    # An issued letter is only generated until someone marks it printed or sent (audited, `cases.letters.dispatch`).
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # La Poste brought it back (NPAI): the day it came back and who recorded it (`cases.letters.returned`).
    returned_on: Mapped[date | None]
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    first_notice: Mapped[Letter | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def total_cents(self) -> int:
        return self.principal_cents + self.interest_cents + self.other_cents
