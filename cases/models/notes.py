"""Free notes on a case or a debtor, and tasks with a due date and an assignee."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, UTCDateTime, db, enum_check, utcnow
from agency.models import Team, User
from cases.models.case import Case
from debtors.models import Debtor

NOTE_MAX_CHARS = 4000
TASK_TITLE_MAX_CHARS = 200
TASK_DETAIL_MAX_CHARS = 2000


class Note(db.Model):
    """A note written by staff on a case, or on a debtor (then read on each of the debtor's cases).

    Never edited: a correction is a new note. A manager hides a note with a reason; the row stays, and a
    trigger (migration 0052) refuses a delete or any change but that one hiding. A debtor's note concerns
    every client's case of that debtor, so it is always internal; a case's note is internal unless its author
    shows it to the client.
    """

    __tablename__ = "note"
    __table_args__ = (
        # The case's client, so the tenant scope applies to the row; and the case must be that debtor's.
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_note_case_client"),
        sa.ForeignKeyConstraint(["case_id", "debtor_id"], ["collection_case.id", "collection_case.debtor_id"],
                                name="fk_note_case_debtor"),
        sa.CheckConstraint("(case_id IS NULL) = (client_id IS NULL)", name="case_and_client"),
        sa.CheckConstraint("case_id IS NOT NULL OR NOT visible_to_client", name="debtor_note_internal"),
        sa.CheckConstraint("(hidden_at IS NULL) = (hidden_by_id IS NULL)", name="hidden_by_whom"),
        sa.Index("ix_note_case", "case_id", "id"),
        sa.Index("ix_note_debtor", "debtor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column()
    client_id: Mapped[int | None] = mapped_column()  # the case's; none on a debtor's note
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    visible_to_client: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    # Two keys lead to the case (with its client, with its debtor): the case is the one of case_id.
    case: Mapped[Case | None] = relationship(primaryjoin="Note.case_id == Case.id", foreign_keys=[case_id],
                                             viewonly=True)
    debtor: Mapped[Debtor] = relationship(foreign_keys=[debtor_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(db.Model):
    """Something to do on a case by a date, for a staff member or a team; perhaps raised by a rule."""

    __tablename__ = "task"
    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_task_case_client"),
        enum_check("status", [s.value for s in TaskStatus]),
        sa.CheckConstraint("assignee_id IS NULL OR team_id IS NULL", name="one_assignee"),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_when_not_open"),
        # "My tasks": a person's and their teams' open tasks by due date.
        sa.Index("ix_task_assignee_open", "assignee_id", "due_on", postgresql_where=sa.text("status = 'open'"),
                 sqlite_where=sa.text("status = 'open'")),
        sa.Index("ix_task_team_open", "team_id", "due_on", postgresql_where=sa.text("status = 'open'"),
                 sqlite_where=sa.text("status = 'open'")),
        sa.Index("ix_task_case", "case_id", "id"),
        # A rule raises one open task per case: a second hardship or alert while it is open adds nothing.
        sa.Index("uq_task_case_rule_open", "case_id", "rule", unique=True,
                 postgresql_where=sa.text("status = 'open' AND rule IS NOT NULL"),
                 sqlite_where=sa.text("status = 'open' AND rule IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]
    debtor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("debtor.id"))  # also about the debtor's other cases
    title: Mapped[str] = mapped_column(sa.String(TASK_TITLE_MAX_CHARS))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    due_on: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    rule: Mapped[str | None] = mapped_column(sa.String(40))  # the rule that raised it; none when typed by a person
    status: Mapped[str] = mapped_column(sa.String(10), default=TaskStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))  # none: a rule
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    debtor: Mapped[Debtor | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    team: Mapped[Team | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN.value
