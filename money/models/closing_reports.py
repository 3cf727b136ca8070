"""Closing reports: what the agency returns to its client when a case closes (restitution)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, UTCDateTime, db, utcnow
from cases.models import Case


class ClosingReport(db.Model):
    """One closing of a case told to its client: the figures and actions as gathered, and the stored PDF.

    `key` names the closing it reports ("closing-<id>" for a closing with a reason, "paid-<case>-<day>" for a
    case paid in full), so that a job run twice produces one report. `figures` holds what the PDF prints and
    the CSV line repeats, fixed when produced: both always say the same, however the case moves afterwards.
    """

    __tablename__ = "closing_report"
    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_closing_report_case_client"),
        sa.Index("ix_closing_report_client_closed", "client_id", "closed_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60), unique=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    closing_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("case_closing.id"))
    reason_code: Mapped[str] = mapped_column(sa.String(40))
    closed_on: Mapped[date]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    pdf_path: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
