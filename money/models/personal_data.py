"""Personal data: the retention setting, and the record of each audit event whose payload was scrubbed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import BigId, UTCDateTime, db, utcnow

DEFAULT_RETENTION_YEARS = 5
# Five years is the commercial and civil limitation (LEGAL-FR §6); fewer would drop debtors whose client may
# still sue, and the ledger's figures are kept whatever the setting.
MIN_RETENTION_YEARS = 2
MAX_RETENTION_YEARS = 30


class PersonalDataSettings(db.Model):
    """How long a debtor's identity is kept once all their cases are closed (one row; defaults until saved)."""

    __tablename__ = "personal_data_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(f"retention_years BETWEEN {MIN_RETENTION_YEARS} AND {MAX_RETENTION_YEARS}",
                           name="retention_years_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    retention_years: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_YEARS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class AuditScrub(db.Model):
    """An audit event whose before/after and address were emptied of a debtor's personal data.

    Audit rows are append-only; the database lets an event's payload change only once a row here names it
    (migration 0053), so every such change is itself on record, and the event's kind, actor and time never change.
    Append-only too.
    """

    __tablename__ = "audit_scrub"

    audit_event_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("audit_event.id"), primary_key=True,
                                                autoincrement=False)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    scrubbed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
