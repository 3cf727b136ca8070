"""The dashboard as the page shows it: the pre-aggregated figures (reports.facts) summed for the filters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.db import db, sum_cents
from reports.figures import (
    NO_CONTACT,
    CaseCounts,
    ChannelRow,
    ClosedRow,
    ContactFigures,
    Curve,
    MoneyFigures,
    month_index,
    rate,
    sorted_closed,
)
from reports.filters import Filters
from reports.models import FigureClosing, FigureCredit, FigureCurve, FigureDays, FigureGroup, FigureRefresh

SUMS = ("placed", "collected", "written_off", "outstanding", "opened", "paid", "plan", "dispute", "hold", "closed",
        "attempts", "calls", "right_party", "promises", "kept", "resolved")


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    refreshed: FigureRefresh | None  # None: the figures were never computed
    money: MoneyFigures
    counts: CaseCounts
    contacts: ContactFigures
    curves: list[Curve]
    by_channel: list[ChannelRow]
    by_step: list[ChannelRow]
    closed_by_reason: list[ClosedRow]


def last_refresh() -> FigureRefresh | None:
    """Return the latest refresh of the figures."""
    return db.session.scalar(sa.select(FigureRefresh).order_by(FigureRefresh.id.desc()).limit(1))


def _groups(filters: Filters) -> sa.ColumnElement[bool]:
    clauses = [FigureGroup.opened_on >= filters.date_from, FigureGroup.opened_on <= filters.date_to]
    if filters.client_id is not None:
        clauses.append(FigureGroup.client_id == filters.client_id)
    if filters.collector_id is not None:
        clauses.append(FigureGroup.collector_id == filters.collector_id)
    if filters.placement_id is not None:
        clauses.append(FigureGroup.placement_id == filters.placement_id)
    return sa.and_(*clauses)


def dashboard(filters: Filters, today: date) -> Dashboard:
    """Return every figure of the dashboard for these filters, as of the last refresh."""
    where = _groups(filters)
    sums = dict(zip(SUMS, db.session.execute(
        sa.select(*(sum_cents(getattr(FigureGroup, name)) for name in SUMS)).where(where)).one(), strict=True))
    money = MoneyFigures(sums["placed"], sums["collected"], sums["written_off"], sums["outstanding"])
    counts = CaseCounts(*(sums[k] for k in ("opened", "paid", "plan", "dispute", "hold", "closed")))
    days = dict(db.session.execute(
        sa.select(FigureDays.days, sa.func.sum(FigureDays.cases)).join(FigureGroup).where(where)
        .group_by(FigureDays.days)).all())
    contacts = ContactFigures(sums["attempts"], sums["calls"], sums["right_party"], sums["promises"], sums["kept"],
                              sums["resolved"], {int(d): int(n) for d, n in days.items()})
    by_channel, by_step = _credits(where)
    closed = sorted_closed(db.session.execute(
        sa.select(FigureClosing.reason_code, sa.func.sum(FigureClosing.cases), sum_cents(FigureClosing.written_off))
        .join(FigureGroup).where(where).group_by(FigureClosing.reason_code)))
    return Dashboard(filters, last_refresh(), money, counts, contacts, _curves(where, today), by_channel, by_step,
                     closed)


def _curves(where, today: date) -> list[Curve]:
    year, month = sa.extract("year", FigureGroup.opened_on), sa.extract("month", FigureGroup.opened_on)
    placed = db.session.execute(
        sa.select(year, month, sum_cents(FigureGroup.placed)).where(where).group_by(year, month)).all()
    collected: dict[int, dict[int, int]] = defaultdict(dict)
    for y, m, offset, cents in db.session.execute(
        sa.select(year, month, FigureCurve.month_offset, sum_cents(FigureCurve.cents)).join(FigureGroup)
        .where(where).group_by(year, month, FigureCurve.month_offset)
    ):
        collected[month_index(int(y), int(m))][offset] = cents
    now = month_index(today.year, today.month)
    curves = []
    for y, m, cents in sorted(placed, key=lambda r: (int(r[0]), int(r[1]))):
        start = month_index(int(y), int(m))
        running, cumulative = 0, []
        for k in range(max(0, now - start) + 1):
            running += collected[start].get(k, 0)
            cumulative.append(running)
        curves.append(Curve(date(int(y), int(m), 1), cents, cumulative, [rate(c, cents) for c in cumulative]))
    return curves


def _credits(where) -> tuple[list[ChannelRow], list[ChannelRow]]:
    rows = db.session.execute(
        sa.select(FigureCredit.channel, FigureCredit.step, sa.func.sum(FigureCredit.payments),
                  sum_cents(FigureCredit.cents)).join(FigureGroup).where(where)
        .group_by(FigureCredit.channel, FigureCredit.step)
    ).all()
    total = sum(r[3] for r in rows)

    def table(index: int) -> list[ChannelRow]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            key = NO_CONTACT if row[0] == NO_CONTACT else row[index]
            sums[key][0] += int(row[2])
            sums[key][1] += row[3]
        return sorted((ChannelRow(k, n, c, rate(c, total)) for k, (n, c) in sums.items()), key=lambda r: (-r.cents, r.key))

    return table(0), table(1)
