"""Date arithmetic that PostgreSQL and SQLite both understand, for the set-based interest queries.

Dates become day numbers (days since 2000-01-01) so that every difference and shift is plain integer
arithmetic; PostgreSQL subtracts dates, SQLite goes through julianday(), and both give the same numbers.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

EPOCH = date(2000, 1, 1)


def day_of(value: date) -> int:
    """Return the day number of a date, as the SQL side computes it."""
    return value.toordinal() - EPOCH.toordinal()


def date_of(day: int) -> date:
    """Return the date of a day number."""
    return date.fromordinal(day + EPOCH.toordinal())


class day_number(FunctionElement):  # noqa: N801 - reads as a SQL function
    """Days from 2000-01-01 to a DATE column or bind."""

    type = sa.Integer()
    inherit_cache = True


@compiles(day_number)
def _day_number_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '2000-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2451544.5 AS INTEGER)"


class utc_day_number(FunctionElement):  # noqa: N801
    """Days from 2000-01-01 to the UTC calendar day of a timestamp."""

    type = sa.Integer()
    inherit_cache = True


@compiles(utc_day_number)
def _utc_day_number_default(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"(CAST(({arg} AT TIME ZONE 'UTC') AS DATE) - DATE '2000-01-01')"


@compiles(utc_day_number, "sqlite")
def _utc_day_number_sqlite(element, compiler, **kw):
    # Stored as ISO text in UTC; julianday() reads the date and time, the cast keeps the day.
    return f"CAST(julianday(substr({compiler.process(element.clauses, **kw)}, 1, 10)) - 2451544.5 AS INTEGER)"


class fr_date(FunctionElement):  # noqa: N801
    """A day number written dd/mm/yyyy, as text."""

    type = sa.String()
    inherit_cache = True


@compiles(fr_date)
def _fr_date_default(element, compiler, **kw):
    return f"to_char(DATE '2000-01-01' + ({compiler.process(element.clauses, **kw)}), 'DD/MM/YYYY')"


@compiles(fr_date, "sqlite")
def _fr_date_sqlite(element, compiler, **kw):
    return f"strftime('%d/%m/%Y', 2451544.5 + ({compiler.process(element.clauses, **kw)}))"


class date_from_day(FunctionElement):  # noqa: N801
    """The DATE of a day number."""

    type = sa.Date()
    inherit_cache = True


@compiles(date_from_day)
def _date_from_day_default(element, compiler, **kw):
    return f"(DATE '2000-01-01' + ({compiler.process(element.clauses, **kw)}))"


@compiles(date_from_day, "sqlite")
def _date_from_day_sqlite(element, compiler, **kw):
    return f"date(2451544.5 + ({compiler.process(element.clauses, **kw)}))"


class greatest(FunctionElement):  # noqa: N801
    """The largest of its arguments (none of them NULL)."""

    inherit_cache = True

    def __init__(self, *args):
        super().__init__(*args)
        self.type = next(iter(self.clauses)).type


@compiles(greatest)
def _greatest_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


class least(FunctionElement):  # noqa: N801
    """The smallest of its arguments (none of them NULL)."""

    inherit_cache = True

    def __init__(self, *args):
        super().__init__(*args)
        self.type = next(iter(self.clauses)).type


@compiles(least)
def _least_default(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"
