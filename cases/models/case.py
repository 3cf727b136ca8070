"""Cases and the claims (unpaid invoices) they hold."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import Client, Team, User
from debtors.models import Debtor

if TYPE_CHECKING:
    from cases.models.actions import Action, Promise
    from cases.models.ledger import LedgerEntry


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
        # The case list pages newest first (opened_on, id) by keyset: its first page, unfiltered, by status
        # or by client (a client user's whole list), is read from one of these without sorting the table.
        sa.Index("ix_case_opened", "opened_on", "id"),
        sa.Index("ix_case_status_opened", "status", "opened_on", "id"),
        sa.Index("ix_case_client_opened", "client_id", "opened_on", "id"),
        sa.Index("ix_case_client_reference", "client_reference"),  # searched by the client's customer number
        # A debtor's cases with their sort key, read from the index alone: a search by name, SIREN or contact
        # takes the sort keys of thousands of cases without visiting them (it replaces the index on debtor_id).
        sa.Index("ix_case_debtor_opened", "debtor_id", "opened_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"))  # indexed by ix_case_debtor_opened
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
    # The work queue: a case is worked by its collector, else by anyone of its team (the pool).
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"), index=True)
    # While a collector works the case it is leased to them; an expired lease frees it again.
    leased_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which lease it is: drawn when the case is taken, kept through renewals; finishing or releasing names it,
    # so that a form left over from an earlier lease (a double click) ends nothing.
    lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    # When the case is next due for an action (strategy step, callback, promise date); none = not queued.
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the debtor asked to be called then
    queue_score: Mapped[int] = mapped_column(default=0)  # higher first; explained by cases.queue
    strategy_step: Mapped[int] = mapped_column(default=0)  # the last step of the strategy already due

    client: Mapped[Client] = relationship()
    team: Mapped[Team | None] = relationship()
    leased_by: Mapped[User | None] = relationship(foreign_keys=[leased_by_id])
    debtor: Mapped[Debtor] = relationship(backref="cases")
    assigned_collector: Mapped[User | None] = relationship(foreign_keys=[assigned_collector_id])
    claims: Mapped[list[Claim]] = relationship(back_populates="case", order_by="Claim.due_date")
    ledger_entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="case", order_by="(LedgerEntry.effective_on, LedgerEntry.id)"
    )
    actions: Mapped[list[Action]] = relationship(back_populates="case", order_by="Action.id.desc()")
    promises: Mapped[list[Promise]] = relationship(back_populates="case", order_by="Promise.due_on")

    @property
    def is_open(self) -> bool:
        return CaseStatus(self.status).is_open

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
    # Indexed alone for the case search: the unique key leads with the client, so it cannot answer a search
    # over every client.
    invoice_number: Mapped[str] = mapped_column(sa.String(64), index=True)
    issue_date: Mapped[date]
    due_date: Mapped[date]
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    # Not indexed: claims are found through their case; the case carries the placement too.
    placement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("placement.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="claims")


class ReferenceCounter(db.Model):
    """The last case number handed out for a year; incremented under a row lock."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
