"""What the daily BODACC watch keeps: the announcements it found for a debtor, and when it last asked."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import UTCDateTime, db, enum_check, utcnow
from debtors.models import Debtor, Hold


class FindingStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a manager
    CONFIRMED = "confirmed"  # the insolvency hold was recorded from it
    DISMISSED = "dismissed"  # a false match (another company, a procedure already over…)


class BodaccFinding(db.Model):
    """An opening of insolvency proceedings the BODACC announces for a debtor's SIREN, proposed as a hold.

    An announcement is found once per debtor, however often the watch sees it again.
    """

    __tablename__ = "bodacc_finding"
    __table_args__ = (
        enum_check("status", [s.value for s in FindingStatus]),
        sa.UniqueConstraint("debtor_id", "announcement_id", name="uq_bodacc_finding_debtor_announcement"),
        sa.CheckConstraint("(status = 'proposed') = (decided_at IS NULL)", name="decided_when_not_proposed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    siren: Mapped[str] = mapped_column(sa.String(9))
    announcement_id: Mapped[str] = mapped_column(sa.String(40))  # the BODACC record's id, e.g. A202602330123
    published_on: Mapped[date]  # dateparution: the 2-month claim filing runs from it
    judgment_on: Mapped[date | None]  # the opening judgment: interest stops from it
    famille: Mapped[str] = mapped_column(sa.String(200), default="")
    nature: Mapped[str] = mapped_column(sa.String(500), default="")
    court: Mapped[str] = mapped_column(sa.String(200), default="")
    company_name: Mapped[str] = mapped_column(sa.String(200), default="")  # as the BODACC names it
    status: Mapped[str] = mapped_column(sa.String(12), default=FindingStatus.PROPOSED.value)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why it was dismissed
    hold_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hold.id"))  # the hold its confirmation recorded

    debtor: Mapped[Debtor] = relationship()
    hold: Mapped[Hold | None] = relationship()


class BodaccCheck(db.Model):
    """When the watch last read the BODACC for a debtor: a run cut short by the API resumes with the others."""

    __tablename__ = "bodacc_check"

    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
