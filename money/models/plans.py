"""Payment plans: instalments agreed with a debtor, for the whole balance or a settlement amount."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class PlanStatus(StrEnum):
    # A debtor's own proposal beyond the mandate's limits: a collector declines it or sends it to the client.
    AWAITING_AGENCY = "awaiting_agency"
    AWAITING_CLIENT = "awaiting_client"  # beyond the mandate's limits: the client approves in the portal
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"  # an instalment was missed: the case is back in the queue
    REFUSED = "refused"  # the client refused it
    CANCELLED = "cancelled"


class InstalmentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    LATE = "late"  # past its date, still within the grace days
    MISSED = "missed"


class PaymentPlan(db.Model):
    """A plan of instalments. A settlement (total below the balance) writes off the rest once completed."""

    __tablename__ = "payment_plan"
    __table_args__ = (
        enum_check("status", [s.value for s in PlanStatus]),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_payment_plan_case_client",
        ),
        sa.CheckConstraint("total_cents > 0 AND balance_cents > 0", name="amounts_positive"),
        sa.CheckConstraint("total_cents <= balance_cents", name="total_within_balance"),
        sa.CheckConstraint("grace_days BETWEEN 0 AND 60", name="grace_range"),
        enum_check("origin", ["staff", "debtor"]),
        sa.Index("ix_payment_plan_case", "case_id", "id"),
        sa.Index("ix_payment_plan_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    balance_cents: Mapped[int] = mapped_column(Cents)  # the outstanding balance when agreed
    total_cents: Mapped[int] = mapped_column(Cents)  # = balance, or the settlement amount accepted
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    starts_on: Mapped[date]  # the day the plan was agreed
    # The case's last ledger entry when the plan was agreed: `balance_cents` is the ledger up to it, so the
    # payments up to it are already deducted from the total. Only the payments after it, net of their
    # reversals, pay the instalments, whatever day they were received.
    last_entry_id: Mapped[int | None] = mapped_column(BigId)
    grace_days: Mapped[int] = mapped_column(default=5)
    # Who proposed it: staff with the debtor (phone, letter) or the debtor alone in their space, who is told
    # on their page when the agency or the client decides.
    origin: Mapped[str] = mapped_column(sa.String(8), default="staff", server_default="staff")
    # The agreement letter (PDF), stored once like letters.
    agreement_path: Mapped[str] = mapped_column(sa.String(255), default="")
    agreement_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the client's approval or refusal
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    ended_on: Mapped[date | None]
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it ended: a call after it counts

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    instalments: Mapped[list[PlanInstalment]] = relationship(
        back_populates="plan", order_by="PlanInstalment.number", cascade="all, delete-orphan"
    )

    @property
    def is_settlement(self) -> bool:
        return self.total_cents < self.balance_cents


class PlanInstalment(db.Model):
    """One instalment of a plan; its status is set by the daily marking job from the ledger's payments."""

    __tablename__ = "plan_instalment"
    __table_args__ = (
        enum_check("status", [s.value for s in InstalmentStatus]),
        sa.UniqueConstraint("plan_id", "number"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("paid_cents >= 0", name="paid_non_negative"),
        sa.Index("ix_plan_instalment_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("payment_plan.id"))
    number: Mapped[int]
    due_on: Mapped[date]
    amount_cents: Mapped[int] = mapped_column(Cents)
    paid_cents: Mapped[int] = mapped_column(Cents, default=0)
    status: Mapped[str] = mapped_column(sa.String(8), default=InstalmentStatus.PENDING.value)
    marked_on: Mapped[date | None]

    plan: Mapped[PaymentPlan] = relationship(back_populates="instalments")
