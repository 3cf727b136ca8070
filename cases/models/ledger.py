"""The append-only ledger of a case."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from cases.models.case import Case, Claim


class EntryKind(StrEnum):
    PRINCIPAL = "principal"
    INTEREST = "interest"
    INDEMNITY = "indemnity"  # the €40 fixed recovery indemnity between businesses (D441-5)
    COST = "cost"  # only with an enforceable title (L111-8)
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"


class AppliesTo(StrEnum):
    """What part of the debt a payment entry settles: its allocation (C. civ. 1342-10, 1343-1)."""

    COST = "cost"
    INDEMNITY = "indemnity"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    CREDIT = "credit"  # paid beyond what is owed: held for the debtor, flagged, never lost


DEBIT_KINDS = (EntryKind.PRINCIPAL, EntryKind.INTEREST, EntryKind.INDEMNITY, EntryKind.COST)
CREDIT_KINDS = (EntryKind.PAYMENT, EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF)


def _sign_rule() -> str:
    # Interest may be negative: a correction when a payment dated in the past stops interest already posted.
    debit = ", ".join(f"'{k}'" for k in DEBIT_KINDS if k != EntryKind.INTEREST)
    credit = ", ".join(f"'{k}'" for k in CREDIT_KINDS)
    return (
        f"(kind IN ({debit}) AND amount_cents > 0) OR (kind IN ({credit}) AND amount_cents < 0)"
        " OR (kind = 'interest' AND amount_cents <> 0)"
        " OR (kind = 'reversal' AND amount_cents <> 0 AND reverses_id IS NOT NULL)"
    )


class LedgerEntry(db.Model):
    """One append-only line of a case's account; the balance is the sum of `amount_cents`.

    Debits (what the debtor owes) are positive, credits (payments, credit notes, write-offs) negative;
    a correction is a `reversal` pointing at the entry it undoes. Rows are never updated or deleted
    (database triggers refuse it).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        enum_check("kind", [k.value for k in EntryKind]),
        sa.CheckConstraint(_sign_rule(), name="sign_matches_kind"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        enum_check("applies_to", [a.value for a in AppliesTo]),
        # A payment's entries say what they settle; nothing else carries an allocation.
        sa.CheckConstraint(
            "(payment_id IS NULL AND applies_to IS NULL) OR (payment_id IS NOT NULL AND applies_to IS NOT NULL)",
            name="allocation_with_payment",
        ),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_ledger_entry_case_client",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id", "case_id"], ["claim.id", "claim.case_id"], name="fk_ledger_entry_claim_case"
        ),
        sa.Index("ix_ledger_entry_case_effective", "case_id", "effective_on"),
        sa.Index(
            "ix_ledger_entry_payment",
            "payment_id",
            postgresql_where=sa.text("payment_id IS NOT NULL"),
            sqlite_where=sa.text("payment_id IS NOT NULL"),
        ),
        # An entry is reversed at most once; partial, so the many entries that reverse nothing cost nothing.
        sa.Index(
            "uq_ledger_entry_reverses_id",
            "reverses_id",
            unique=True,
            postgresql_where=sa.text("reverses_id IS NOT NULL"),
            sqlite_where=sa.text("reverses_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    # Not indexed: figures per client go through the case (ix_case_client_status); every index is paid
    # for at each bulk import.
    client_id: Mapped[int]  # tied to a client through (case_id, client_id)
    claim_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    effective_on: Mapped[date]
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    reverses_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("ledger_entry.id"))
    # Payment entries (and their reversals): the payment and the part of the debt the entry settles.
    payment_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("payment.id"))
    applies_to: Mapped[str | None] = mapped_column(sa.String(12))
    # Interest entries: the last day of the accrual they bring the claim's interest up to.
    accrued_through: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="ledger_entries")
    # Only claim_id is written through this relationship; case_id comes from `case`.
    claim: Mapped[Claim | None] = relationship(
        foreign_keys=[claim_id], primaryjoin="Claim.id == LedgerEntry.claim_id"
    )

