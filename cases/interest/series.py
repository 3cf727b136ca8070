"""The rate series interest runs on, built per half-year from the rate tables.

A series is a list of half-year segments, each with its rate and the sum of daily rates before it,
so that the interest of an amount between two days is amount × (C(end) − C(start)) / (10000 × 365).
A series is covered from its first half-year up to the first half-year missing from the table:
interest is not computed past that last covered day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from agency.db import db
from cases.interest.sqlfuncs import date_of, day_of
from cases.models import RateKind, RatePeriod

# Series keys: the three statutory series; a mandate's contractual rate is the series -mandate_id.
B2B_DEFAULT = 1
LEGAL_OTHER = 2
LEGAL_INDIVIDUAL = 3
B2B_MARGIN_BP = 1000  # ECB rate + 10 points (C. com. L441-10 II)
CONTRACTUAL_FLOOR_FACTOR = 3  # a contractual rate never below 3 × the legal rate ("other" column)


@dataclass(frozen=True)
class Segment:
    """One half-year of a series: its days [start_day, end_day] and rate, and C(start_day − 1)."""

    series: int
    start: date
    end: date
    rate_bp: int
    cum_before: int
    floor_applied: bool = False

    @property
    def start_day(self) -> int:
        return day_of(self.start)

    @property
    def end_day(self) -> int:
        return day_of(self.end)


def half_year_end(start: date) -> date:
    """Return the last day of the half-year starting on `start`."""
    return date(start.year, 6, 30) if start.month == 1 else date(start.year, 12, 31)


def next_half_year(start: date) -> date:
    """Return the first day of the half-year after the one starting on `start`."""
    return half_year_end(start) + timedelta(days=1)


def half_year_of(day: date) -> date:
    """Return the first day of the half-year holding `day`."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def load_rates() -> dict[str, dict[date, int]]:
    """Return kind → {half-year start → rate in basis points}, as the tables hold them now."""
    rates: dict[str, dict[date, int]] = {k.value: {} for k in RateKind}
    for kind, starts_on, rate_bp in db.session.execute(
        sa.select(RatePeriod.kind, RatePeriod.starts_on, RatePeriod.rate_bp).order_by(RatePeriod.starts_on)
    ):
        rates[kind][starts_on] = rate_bp
    return rates


def _contiguous(rates: dict[date, int]) -> list[tuple[date, int]]:
    """Return the half-years from the first one on, stopping at the first gap."""
    if not rates:
        return []
    start, out = min(rates), []
    while start in rates:
        out.append((start, rates[start]))
        start = next_half_year(start)
    return out


def _segments(series: int, halves: list[tuple[date, int, bool]]) -> list[Segment]:
    out, cum = [], 0
    for start, rate_bp, floored in halves:
        end = half_year_end(start)
        out.append(Segment(series, start, end, rate_bp, cum, floored))
        cum += rate_bp * (day_of(end) - day_of(start) + 1)
    return out


def build_series(rates: dict[str, dict[date, int]], contractual: dict[int, int]) -> dict[int, list[Segment]]:
    """Return series key → segments: B2B default, the two legal rates, and each mandate's contractual rate.

    `contractual` maps a mandate id to its contractual rate; each half-year it is raised to 3 × the
    legal rate of that half-year when below it.
    """
    ecb = _contiguous(rates.get(RateKind.ECB.value, {}))
    other = _contiguous(rates.get(RateKind.LEGAL_OTHER.value, {}))
    individual = _contiguous(rates.get(RateKind.LEGAL_INDIVIDUAL.value, {}))
    series = {
        B2B_DEFAULT: _segments(B2B_DEFAULT, [(s, r + B2B_MARGIN_BP, False) for s, r in ecb]),
        LEGAL_OTHER: _segments(LEGAL_OTHER, [(s, r, False) for s, r in other]),
        LEGAL_INDIVIDUAL: _segments(LEGAL_INDIVIDUAL, [(s, r, False) for s, r in individual]),
    }
    for mandate_id, rate_bp in contractual.items():
        halves = []
        for start, legal in other:
            floor = CONTRACTUAL_FLOOR_FACTOR * legal
            halves.append((start, max(rate_bp, floor), floor > rate_bp))
        series[-mandate_id] = _segments(-mandate_id, halves)
    return series


def with_increase(segments: list[Segment], from_day: int | None, increase_bp: int) -> list[Segment]:
    """Return the series with `increase_bp` added to its rate from `from_day` on (a title's L313-3 increase).

    The half-year holding `from_day` is cut in two there, so that each segment keeps one rate.
    """
    if from_day is None or not increase_bp:
        return segments
    out: list[Segment] = []
    cum = segments[0].cum_before if segments else 0
    for seg in segments:
        parts = [(seg.start, seg.end, seg.rate_bp)]
        if seg.start_day < from_day <= seg.end_day:
            cut = date_of(from_day)
            parts = [(seg.start, cut - timedelta(days=1), seg.rate_bp), (cut, seg.end, seg.rate_bp + increase_bp)]
        elif seg.start_day >= from_day:
            parts = [(seg.start, seg.end, seg.rate_bp + increase_bp)]
        for start, end, rate_bp in parts:
            out.append(Segment(seg.series, start, end, rate_bp, cum, seg.floor_applied))
            cum += rate_bp * ((end - start).days + 1)
    return out


def cumulative(segments: list[Segment], day: int) -> int:
    """Return C(day): the sum of the daily rates of the series over every day up to `day` (0 before it)."""
    for seg in segments:
        if seg.start_day <= day <= seg.end_day:
            return seg.cum_before + seg.rate_bp * (day - seg.start_day + 1)
    if segments and day > segments[-1].end_day:
        last = segments[-1]
        return last.cum_before + last.rate_bp * (last.end_day - last.start_day + 1)
    return 0


def last_covered_day(segments: list[Segment]) -> int | None:
    """Return the day number of the last day the series has a rate for."""
    return segments[-1].end_day if segments else None


def segment_select(segments: Iterable[Segment]) -> sa.CompoundSelect:
    """Return the segments as a small derived table (series, start_day, end_day, rate_bp, cum_before).

    The figures are written into the SQL rather than bound: the statements are built once per set of
    segments (cases.interest.sql), and a hundred bound values would cost more at each run than the table does.
    """
    rows = list(segments)
    if not rows:
        # An empty table still has to have its columns: a row no day ever falls in.
        rows = [Segment(0, date(1900, 1, 1), date(1900, 1, 1), 0, 0)]
    selects = [
        sa.select(
            _number(seg.series, sa.Integer).label("series"),
            _number(seg.start_day, sa.Integer).label("start_day"),
            _number(seg.end_day, sa.Integer).label("end_day"),
            _number(seg.rate_bp, sa.Integer).label("rate_bp"),
            _number(seg.cum_before, sa.BigInteger).label("cum_before"),
        )
        for seg in rows
    ]
    return sa.union_all(*selects)


def _number(value: int, type_: type[sa.Integer]) -> sa.Cast:
    return sa.cast(sa.literal_column(str(int(value))), type_)  # int(): only digits reach the SQL
