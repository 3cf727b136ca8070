"""The dashboard's figures pre-aggregated by a job: one row per (client, placement, collector, opening day).

Rebuilt wholesale from the ledger and the action history by `reports.facts.refresh_figures`, never updated
one event at a time, so they cannot drift: at worst they are as old as the last refresh, which the page shows.
No foreign keys: the rows are a copy, replaced at each refresh.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import Cents, UTCDateTime, db


class FigureRefresh(db.Model):
    """One refresh of the figures: when, how long it took, how many cases it covered."""

    __tablename__ = "report_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cases: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[int] = mapped_column(default=0)


class FigureGroup(db.Model):
    """The summed figures of the cases of one client, placement and collector opened on one day."""

    __tablename__ = "report_group"
    __table_args__ = (sa.Index("ix_report_group_opened_client", "opened_on", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int]
    placement_id: Mapped[int | None]
    collector_id: Mapped[int | None]
    opened_on: Mapped[date]
    placed: Mapped[int] = mapped_column(Cents, default=0)
    collected: Mapped[int] = mapped_column(Cents, default=0)
    written_off: Mapped[int] = mapped_column(Cents, default=0)
    outstanding: Mapped[int] = mapped_column(Cents, default=0)
    opened: Mapped[int] = mapped_column(default=0)
    paid: Mapped[int] = mapped_column(default=0)
    plan: Mapped[int] = mapped_column(default=0)
    dispute: Mapped[int] = mapped_column(default=0)
    hold: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    calls: Mapped[int] = mapped_column(default=0)
    right_party: Mapped[int] = mapped_column(default=0)
    promises: Mapped[int] = mapped_column(default=0)
    kept: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)


class FigureCurve(db.Model):
    """What a group's cases collected in their n-th month since placement (0 = the month they were opened)."""

    __tablename__ = "report_group_curve"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("report_group.id", ondelete="CASCADE"), primary_key=True)
    month_offset: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cents: Mapped[int] = mapped_column(Cents)


class FigureDays(db.Model):
    """How many of a group's cases were first paid `days` days after placement (for the average and median)."""

    __tablename__ = "report_group_days"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("report_group.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cases: Mapped[int]


class FigureCredit(db.Model):
    """The payments of a group credited to one channel and strategy step (see reports.figures.attributions)."""

    __tablename__ = "report_group_credit"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("report_group.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    step: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # "step-3", "step-manual", "none"
    payments: Mapped[int]
    cents: Mapped[int] = mapped_column(Cents)


class FigureClosing(db.Model):
    """A group's cases closed unpaid for one reason (a closing reason's code), and what they left written off."""

    __tablename__ = "report_group_closing"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("report_group.id", ondelete="CASCADE"), primary_key=True)
    reason_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)  # "" for a case closed without one
    cases: Mapped[int]
    written_off: Mapped[int] = mapped_column(Cents)


class MonthlyReport(db.Model):
    """One client's activity report for one month: the stored PDF, the CSV and the figures both were drawn from."""

    __tablename__ = "monthly_report"
    __table_args__ = (sa.UniqueConstraint("client_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    month: Mapped[date]  # the first day of the month reported on
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pdf_path: Mapped[str] = mapped_column(sa.String(255))
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    csv_text: Mapped[str] = mapped_column(sa.Text)
    figures: Mapped[dict] = mapped_column(sa.JSON)
