"""Rate tables behind interest: the ECB refinancing rate and the two French legal rates, per half-year."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import UTCDateTime, db, enum_check, utcnow


class RateKind(StrEnum):
    ECB = "ecb"  # main refinancing rate in force on 1 January / 1 July; B2B default = it + 10 points
    LEGAL_OTHER = "legal_other"  # legal rate, "all other cases" (creditor not a private individual)
    LEGAL_INDIVIDUAL = "legal_individual"  # legal rate when the creditor is a private individual


class RatePeriod(db.Model):
    """One published rate for the half-year starting on `starts_on` (1 January or 1 July).

    Data the agency extends every half-year (LEGAL-FR.md §3–4); the known values ship as seed rows.
    A corrected rate changes what interest is owed: the next posting run adds the difference.
    """

    __tablename__ = "rate_period"
    __table_args__ = (
        enum_check("kind", [k.value for k in RateKind]),
        sa.UniqueConstraint("kind", "starts_on"),
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    starts_on: Mapped[date]
    rate_bp: Mapped[int]  # hundredths of a percent: 12.15 % = 1215
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    # Figures not yet confirmed in the official text are shown flagged until someone checks them.
    to_check: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
