"""The aged balance pre-computed by a job for one date: per client and bucket, and per case and bucket.

Rebuilt wholesale from the ledger by `reports.aged_snapshot.refresh_aged`, so it cannot drift: at worst it is as
old as the last refresh, which the page shows. No foreign keys: the rows are a copy, replaced at each refresh.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import Cents, UTCDateTime, db

# The bucket key of the rows that sum a case's (or a client's) claims across every bucket.
ALL = "all"


class AgedSnapshot(db.Model):
    """One refresh of the aged balance: as of which date, when, how long it took, how many cases owe."""

    __tablename__ = "aged_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cases: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[int] = mapped_column(default=0)


class AgedSnapshotCell(db.Model):
    """What one client's open cases owe in one bucket (or in all, `ALL`), and how many cases owe there."""

    __tablename__ = "aged_cell"

    client_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    bucket: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    cents: Mapped[int] = mapped_column(Cents)
    cases: Mapped[int]


class AgedSnapshotCase(db.Model):
    """One case's claims in one bucket (or in all, `ALL`): what they owe, how many, the oldest due date."""

    __tablename__ = "aged_case"
    # The drill-down list reads one bucket, of every client or one, most overdue first, a page at a time.
    __table_args__ = (
        sa.Index("ix_aged_case_bucket_order", "bucket", "oldest_due", "reference"),
        sa.Index("ix_aged_case_client_bucket_order", "client_id", "bucket", "oldest_due", "reference"),
    )

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    bucket: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    client_id: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(24))
    oldest_due: Mapped[date]
    claims: Mapped[int]
    cents: Mapped[int] = mapped_column(Cents)


class ChannelRefresh(db.Model):
    """One refresh of the cases credited to each channel: when, how long it took, how many payments it credited."""

    __tablename__ = "channel_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payments: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[int] = mapped_column(default=0)


class ChannelCase(db.Model):
    """A case with a payment credited to `channel` (see reports.figures.attributions), whatever the filters."""

    __tablename__ = "channel_case"
    __table_args__ = (sa.Index("ix_channel_case_channel", "channel", "case_id"),)

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
