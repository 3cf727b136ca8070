"""Work on a selection of cases: a batch a manager asks for from the case list, and what it did to each case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.closing import BatchStatus


class ItemOutcome(StrEnum):
    DONE = "done"  # the action was taken on the case
    SKIPPED = "skipped"  # the case could not take it (rules, state): nothing was changed, the reason says why
    FAILED = "failed"  # an error while acting: nothing was changed on the case


class CaseBatch(db.Model):
    """One action asked for many cases at once, run by a background job; its items say what became of each case.

    The selection is either the ids ticked in the list, or the list's filter, run again by the job (its
    `case_ids` are then filled when the job starts, so that a rerun works on the same cases).
    """

    __tablename__ = "case_batch"
    __table_args__ = (enum_check("status", [s.value for s in BatchStatus]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(24))  # a key of cases.batches.actions.ACTIONS
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the action's choices (collector, template…)
    filters: Mapped[dict | None] = mapped_column(sa.JSON)  # the list's filter, when the selection is "all matching"
    case_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # ticked, or found by the job from `filters`
    note: Mapped[str] = mapped_column(sa.Text, default="")  # e.g. the filter found more cases than a batch takes
    status: Mapped[str] = mapped_column(sa.String(8), default=BatchStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(default=0)
    done_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    # An export's CSV, written by the job once every case is processed (agency.storage: written once, checked on read).
    file_path: Mapped[str] = mapped_column(sa.String(255), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def processed(self) -> int:
        return self.done_count + self.skipped_count + self.failed_count


class CaseBatchItem(db.Model):
    """What a batch did to one case; written with the change itself, so a rerun of the job leaves the case alone."""

    __tablename__ = "case_batch_item"
    __table_args__ = (
        enum_check("outcome", [o.value for o in ItemOutcome]),
        sa.Index("ix_case_batch_item_outcome", "batch_id", "outcome"),
    )

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("case_batch.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("collection_case.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.String(40), default="")  # a code: closed, contact_rules, letter_order…
    detail: Mapped[str] = mapped_column(sa.Text, default="")  # the words of the rule that refused, or what was done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
