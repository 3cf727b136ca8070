"""Actions taken on cases and the promises obtained."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


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
    PENDING_APPROVAL = "pending_approval"  # a formal notice waits for a manager (DESIGN.md §4)
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    BLOCKED = "blocked"  # refused by the contact rules; `reason` says which


class CallOutcome(StrEnum):
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    RIGHT_PARTY = "right_party"
    THIRD_PARTY = "third_party"
    REFUSED = "refused"
    PROMISE = "promise"
    DISPUTE = "dispute"
    CALLBACK = "callback"

    @property
    def is_conversation(self) -> bool:
        """Whether the debtor was spoken to (starts the US 7-day wait, counts as a right-party contact)."""
        return self in (CallOutcome.RIGHT_PARTY, CallOutcome.REFUSED, CallOutcome.PROMISE,
                        CallOutcome.DISPUTE, CallOutcome.CALLBACK)


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
        # A strategy step is created once per case, however often the daily job runs or is retried.
        sa.Index(
            "uq_action_case_strategy_step",
            "case_id",
            "strategy_step",
            unique=True,
            postgresql_where=sa.text("strategy_step IS NOT NULL"),
            sqlite_where=sa.text("strategy_step IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("collection_case.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(10))
    direction: Mapped[str] = mapped_column(sa.String(8), default="outbound")
    status: Mapped[str] = mapped_column(sa.String(16), default=ActionStatus.DONE.value)  # "pending_approval"
    outcome: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_point.id"))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # internal: hidden from client users
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.String(64), default="")  # why it was blocked or failed
    strategy_step: Mapped[int | None]  # set when the strategy created it
    sms_message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sms_message.id"))
    email_message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("email_message.id"))
    letter_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("letter.id"))

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
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # reminder sent before the date
    paid_cents: Mapped[int | None] = mapped_column(Cents)  # what was found paid when it was resolved

    case: Mapped[Case] = relationship(back_populates="promises")

