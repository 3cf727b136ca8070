"""Cases, their claims and ledger, the actions taken on them and the promises obtained."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import Client, User
from debtors.models import Debtor


class CaseStatus(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    PROMISE = "promise"  # a promise to pay is running
    PLAN = "plan"  # a payment plan is running
    DISPUTE = "dispute"
    HOLD = "hold"  # insolvency, over-indebtedness, deceased, cease-communication
    ESCALATED = "escalated"  # handed to a judicial procedure
    PAID = "paid"  # closed, fully paid
    CLOSED = "closed"  # closed unpaid, returned to the client or written off

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.PAID, CaseStatus.CLOSED)


class CaseKind(StrEnum):
    B2B = "b2b"
    B2C = "b2c"


class Case(db.Model):
    """One debtor's unpaid invoices placed by one client, worked as one file."""

    __tablename__ = "collection_case"
    __table_args__ = (
        enum_check("status", [s.value for s in CaseStatus]),
        enum_check("kind", [k.value for k in CaseKind]),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="dates_ordered"),
        # Lets claims and ledger entries carry (case_id, client_id) as one foreign key, so a claim
        # can never sit on a case of another client than the one its invoice number belongs to.
        sa.UniqueConstraint("id", "client_id", name="uq_case_id_client"),
        # Lets a dispute hold name (case_id, debtor_id) together: the case must be that debtor's.
        sa.UniqueConstraint("id", "debtor_id", name="uq_case_id_debtor"),
        sa.Index("ix_case_client_status", "client_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    client_reference: Mapped[str] = mapped_column(sa.String(64), default="")  # the client's customer number
    status: Mapped[str] = mapped_column(sa.String(12), default=CaseStatus.NEW.value)
    kind: Mapped[str] = mapped_column(sa.String(3))
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    assigned_collector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    closed_reason: Mapped[str] = mapped_column(sa.String(40), default="")
    placement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("placement.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    debtor: Mapped[Debtor] = relationship(backref="cases")
    assigned_collector: Mapped[User | None] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="case", order_by="Claim.due_date")
    ledger_entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="case", order_by="(LedgerEntry.effective_on, LedgerEntry.id)"
    )
    actions: Mapped[list[Action]] = relationship(back_populates="case", order_by="Action.id.desc()")
    promises: Mapped[list[Promise]] = relationship(back_populates="case", order_by="Promise.due_on")

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class Claim(db.Model):
    """One unpaid invoice of the case, as the client placed it."""

    __tablename__ = "claim"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "invoice_number", name="uq_claim_client_invoice"),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_claim_case_client",
        ),
        sa.CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        # Lets ledger entries name (claim_id, case_id) together: the claim must be on that case.
        sa.UniqueConstraint("id", "case_id", name="uq_claim_id_case"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    # No FK to client of its own: (case_id, client_id) -> collection_case already ties it to a client.
    client_id: Mapped[int]
    invoice_number: Mapped[str] = mapped_column(sa.String(64))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    # Not indexed: claims are found through their case; the case carries the placement too.
    placement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("placement.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="claims")


class EntryKind(StrEnum):
    PRINCIPAL = "principal"
    INTEREST = "interest"
    INDEMNITY = "indemnity"  # the €40 fixed recovery indemnity between businesses (D441-5)
    COST = "cost"  # only with an enforceable title (L111-8)
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"


DEBIT_KINDS = (EntryKind.PRINCIPAL, EntryKind.INTEREST, EntryKind.INDEMNITY, EntryKind.COST)
CREDIT_KINDS = (EntryKind.PAYMENT, EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF)


def _sign_rule() -> str:
    debit = ", ".join(f"'{k}'" for k in DEBIT_KINDS)
    credit = ", ".join(f"'{k}'" for k in CREDIT_KINDS)
    return (
        f"(kind IN ({debit}) AND amount_cents > 0) OR (kind IN ({credit}) AND amount_cents < 0)"
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
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_ledger_entry_case_client",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id", "case_id"], ["claim.id", "claim.case_id"], name="fk_ledger_entry_claim_case"
        ),
        sa.Index("ix_ledger_entry_case_effective", "case_id", "effective_on"),
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="ledger_entries")
    # Only claim_id is written through this relationship; case_id comes from `case`.
    claim: Mapped[Claim | None] = relationship(
        foreign_keys=[claim_id], primaryjoin="Claim.id == LedgerEntry.claim_id"
    )


class ActionKind(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    FORMAL_NOTICE = "formal_notice"
    NOTE = "note"  # an internal note: never shown to the client


class ActionChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    POST = "post"
    PORTAL = "portal"
    INTERNAL = "internal"


class ActionStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(db.Model):
    """An amicable step on a case: planned (`scheduled_at`) or taken (`done_at`), with its outcome."""

    __tablename__ = "action"
    __table_args__ = (
        enum_check("kind", [k.value for k in ActionKind]),
        enum_check("channel", [c.value for c in ActionChannel]),
        enum_check("status", [s.value for s in ActionStatus]),
        enum_check("direction", ["outbound", "inbound"]),
        sa.CheckConstraint("status <> 'done' OR done_at IS NOT NULL", name="done_has_time"),
        sa.Index("ix_action_case_created", "case_id", "created_at"),
        sa.Index("ix_action_user_done", "user_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("collection_case.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(10))
    direction: Mapped[str] = mapped_column(sa.String(8), default="outbound")
    status: Mapped[str] = mapped_column(sa.String(10), default=ActionStatus.DONE.value)
    outcome: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_point.id"))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # internal: hidden from client users
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="actions")
    user: Mapped[User | None] = relationship()


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class Promise(db.Model):
    """The debtor's promise to pay `amount_cents` by `due_on`."""

    __tablename__ = "promise"
    __table_args__ = (
        enum_check("status", [s.value for s in PromiseStatus]),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index("ix_promise_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("collection_case.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("action.id"))
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(12), default=PromiseStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="promises")


class ReferenceCounter(db.Model):
    """The last case number handed out for a year; incremented under a row lock."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
