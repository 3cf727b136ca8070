"""Each claim's limitation date (prescription), recomputed from its due date and what interrupted or suspended it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import BigId, UTCDateTime, db, utcnow


class ClaimLimitation(db.Model):
    """Where a claim's limitation period stands: computed by `cases.closing.limitation`, never typed in.

    `limitation_on` is the last day the claim may be demanded or interrupted; from the day after it is
    prescribed. The period runs from `started_on`, the claim's due date or the last event that
    interrupted it (`event_kind`, `event_id`: the promise, plan, payment or judicial step); a suspension
    (the debtor's acceptance of the small-claims procedure) adds `suspended_days`, and while it lasts
    `suspended_since` is set and the date moves on each day.
    """

    __tablename__ = "claim_limitation"
    __table_args__ = (
        sa.ForeignKeyConstraint(["claim_id", "case_id"], ["claim.id", "claim.case_id"],
                                name="fk_claim_limitation_claim_case"),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_claim_limitation_case_client"),
        sa.CheckConstraint("period_years > 0", name="period_positive"),
        sa.CheckConstraint("suspended_days >= 0", name="suspension_not_negative"),
        sa.Index("ix_claim_limitation_on", "limitation_on"),
    )

    claim_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    period_years: Mapped[int]
    started_on: Mapped[date]
    event_kind: Mapped[str] = mapped_column(sa.String(20))  # "due_date", "promise", "plan", "payment", a step
    event_id: Mapped[int | None] = mapped_column(BigId)
    suspended_days: Mapped[int] = mapped_column(default=0)
    suspended_since: Mapped[date | None]
    limitation_on: Mapped[date]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
