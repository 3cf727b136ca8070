"""The rate tables an administrator keeps: one rate per kind and half-year, added, corrected, confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.db import db
from agency.models import User
from cases.interest.series import B2B_MARGIN_BP, CONTRACTUAL_FLOOR_FACTOR, half_year_of, next_half_year
from cases.models import RateKind, RatePeriod


class RateError(ValueError):
    """A rate refused, with the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class HalfYear:
    """One half-year of the tables, every kind side by side."""

    starts_on: date
    periods: dict[str, RatePeriod] = field(default_factory=dict)

    def rate(self, kind: str) -> int | None:
        period = self.periods.get(kind)
        return period.rate_bp if period else None

    @property
    def b2b_default_bp(self) -> int | None:
        ecb = self.rate(RateKind.ECB.value)
        return None if ecb is None else ecb + B2B_MARGIN_BP

    @property
    def contractual_floor_bp(self) -> int | None:
        other = self.rate(RateKind.LEGAL_OTHER.value)
        return None if other is None else CONTRACTUAL_FLOOR_FACTOR * other

    @property
    def to_check(self) -> bool:
        return any(p.to_check for p in self.periods.values())

    @property
    def missing(self) -> list[str]:
        return [k.value for k in RateKind if k.value not in self.periods]


def half_years() -> list[HalfYear]:
    """Return every half-year of the tables, newest first."""
    rows: dict[date, HalfYear] = {}
    for period in db.session.scalars(sa.select(RatePeriod).order_by(RatePeriod.starts_on, RatePeriod.kind)):
        rows.setdefault(period.starts_on, HalfYear(period.starts_on)).periods[period.kind] = period
    return sorted(rows.values(), key=lambda h: h.starts_on, reverse=True)


def missing_half_years(on: date) -> list[tuple[date, list[str]]]:
    """Return the current and next half-years that lack a rate, with the kinds missing."""
    current = half_year_of(on)
    known = {h.starts_on: h for h in half_years()}
    out = []
    for start in (current, next_half_year(current)):
        row = known.get(start, HalfYear(start))
        if row.missing:
            out.append((start, row.missing))
    return out


def check_start(starts_on: date | None) -> date:
    """Refuse a half-year that does not start on 1 January or 1 July."""
    if starts_on is None or (starts_on.month, starts_on.day) not in ((1, 1), (7, 1)):
        raise RateError(_("A half-year starts on 1 January or 1 July."), "starts_on")
    return starts_on


def add_rate(kind: str, starts_on: date | None, rate_bp: int, *, source: str, actor: User) -> RatePeriod:
    """Add the rate of one kind for a new half-year; the caller commits."""
    if kind not in {k.value for k in RateKind}:
        raise RateError(_("Choose a kind of rate."), "kind")
    starts_on = check_start(starts_on)
    exists = db.session.scalar(sa.select(RatePeriod.id).where(RatePeriod.kind == kind, RatePeriod.starts_on == starts_on))
    if exists:
        raise RateError(_("This half-year already has this rate: correct it instead."), "starts_on")
    period = RatePeriod(kind=kind, starts_on=starts_on, rate_bp=rate_bp, source=source.strip(), to_check=False,
                        created_by_id=actor.id)
    db.session.add(period)
    db.session.flush()
    audit.record("rate.added", actor=actor, subject=period,
                 after={"kind": kind, "starts_on": starts_on, "rate_bp": rate_bp, "source": period.source})
    return period


def correct_rate(period: RatePeriod, rate_bp: int, *, source: str, actor: User) -> None:
    """Correct a rate; the next posting run adds or takes back the difference in interest."""
    before, after = audit.changes(period, rate_bp=rate_bp, source=source.strip())
    if not after:
        raise RateError(_("Nothing changed."), "rate")
    audit.record("rate.corrected", actor=actor, subject=period,
                 before={"kind": period.kind, "starts_on": period.starts_on, **before}, after=after)


def confirm_rate(period: RatePeriod, *, actor: User) -> None:
    """Mark a rate checked against the official text."""
    if not period.to_check:
        raise RateError(_("This rate is already confirmed."))
    period.to_check = False
    audit.record("rate.confirmed", actor=actor, subject=period, before={"to_check": True},
                 after={"to_check": False, "kind": period.kind, "starts_on": period.starts_on,
                        "rate_bp": period.rate_bp})
