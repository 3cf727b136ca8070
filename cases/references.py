"""Case references: short, sequential per year, easy to read out on the phone ("D26-004217")."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from agency.db import db
from cases.models import ReferenceCounter

PREFIX = "D"


def allocate_references(year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive references for `year` in one statement (safe under concurrency)."""
    if count < 1:
        return []
    # Make sure the year's row exists, then bump it atomically: UPDATE … RETURNING takes the row lock
    # on PostgreSQL and the database lock on SQLite, so two imports never share a number.
    if db.session.get(ReferenceCounter, year) is None:
        try:
            with db.session.begin_nested():
                db.session.add(ReferenceCounter(year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction created the year's row first
    last = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + count)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    first = last - count + 1
    return [f"{PREFIX}{year % 100:02d}-{n:06d}" for n in range(first, last + 1)]
