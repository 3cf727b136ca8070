"""Closing a case with a reason, and reopening it: the reasons an agency uses, and each closing of a case."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class ClosingStatus(StrEnum):
    PROPOSED = "proposed"  # a collector's proposal, waiting for a manager
    REJECTED = "rejected"  # the manager said no: the case goes on
    CLOSED = "closed"  # the case is closed, its balance written off
    REOPENED = "reopened"  # a manager reopened it: the write-off is reversed


class ClosingReason(db.Model):
    """A reason cases are closed for: the built-in ones (seeded, `builtin`) and those the agency adds."""

    __tablename__ = "closing_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120))  # the agency's own words (built-ins are translated by code)
    evidence_required: Mapped[bool] = mapped_column(default=False)
    automatic: Mapped[bool] = mapped_column(default=False)  # set by the platform, never chosen by hand
    builtin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseClosing(db.Model):
    """One closing of a case: proposed, decided, and perhaps reopened; what was written off and why."""

    __tablename__ = "case_closing"
    __table_args__ = (
        enum_check("status", [s.value for s in ClosingStatus]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_case_closing_case_client"),
        sa.Index("ix_case_closing_status", "status", "client_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    reason_code: Mapped[str] = mapped_column(sa.String(40), sa.ForeignKey("closing_reason.code"))
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default=ClosingStatus.PROPOSED.value)
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    closed_on: Mapped[date | None]
    written_off_cents: Mapped[int] = mapped_column(Cents, default=0)  # still written off (late payments reduce it)
    write_off_entry_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("ledger_entry.id"))
    status_before: Mapped[str] = mapped_column(sa.String(12), default="")  # the case's, given back on reopening
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()
    reason: Mapped[ClosingReason] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ClosingBatch(db.Model):
    """Many cases closed with one reason by a background job: what was asked, what was closed, what was not."""

    __tablename__ = "closing_batch"
    __table_args__ = (enum_check("status", [s.value for s in BatchStatus]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reason_code: Mapped[str] = mapped_column(sa.String(40), sa.ForeignKey("closing_reason.code"))
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    case_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # the cases to close, found when asked
    skipped: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"reference", "why"}] not closed, and why
    status: Mapped[str] = mapped_column(sa.String(8), default=BatchStatus.QUEUED.value)
    closed_count: Mapped[int] = mapped_column(default=0)
    written_off_cents: Mapped[int] = mapped_column(Cents, default=0)
    job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reason: Mapped[ClosingReason] = relationship()
    created_by: Mapped[User | None] = relationship()
