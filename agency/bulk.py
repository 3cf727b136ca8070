"""Reading and writing many rows fast: ids handed out in one statement, rows written with COPY on
PostgreSQL and one executemany on SQLite, lookups of many values with one array parameter. Never one
ORM object per row. Column defaults are applied here, since COPY does not know them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from agency.db import db

_SQLITE_CHUNK = 5000  # values per IN list: under SQLite's limit of bound variables


def _is_postgresql() -> bool:
    return db.session.connection().dialect.name == "postgresql"


def allocate_ids(table: sa.Table, count: int) -> list[int]:
    """Reserve `count` primary keys of `table` for rows about to be written in this transaction.

    On SQLite the caller must already hold the write lock (have written in this transaction), so that
    no other writer takes the same ids between this read and the insert.
    """
    if count <= 0:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return connection.execute(
            sa.text(
                "SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": count},
        ).scalar_one()
    start = connection.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def select_in(
    select: sa.Select, column: sa.ColumnElement, values: Iterable, type_=sa.String
) -> Iterator[sa.Row]:
    """Run `select` restricted to `column IN values`, for any number of values.

    PostgreSQL gets one array parameter (`= ANY(:values)`): a long IN list costs far more to build and
    parse than to run. SQLite gets chunks that stay under its limit of bound variables.
    """
    values = list(dict.fromkeys(values))
    if not values:
        return
    if _is_postgresql():
        parameter = sa.bindparam("values", values, type_=postgresql.ARRAY(type_))
        yield from db.session.execute(select.where(column == sa.any_(parameter)))
        return
    for start in range(0, len(values), _SQLITE_CHUNK):
        yield from db.session.execute(select.where(column.in_(values[start : start + _SQLITE_CHUNK])))


def insert_rows(table: sa.Table, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts by column name; missing columns take their default) and return the count.

    Rows without an "id" get one from the database (its sequence): cheaper than `allocate_ids` when
    nothing written later needs to point at them.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    rows = itertools.chain((first,), rows)
    columns = [c for c in table.columns if c.name in first or not (c.primary_key and c.autoincrement)]
    defaults = {c.name: _default(c) for c in columns}
    if _is_postgresql():
        return _copy(table, columns, defaults, rows)
    complete = [defaults | row for row in rows]
    db.session.connection().execute(table.insert(), complete)
    return len(complete)


def _default(column: sa.Column):
    # Evaluated once per batch: every row of one bulk write gets the same timestamp, as in one statement.
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def _copy(table: sa.Table, columns: list[sa.Column], defaults: dict, rows: Iterable[dict]) -> int:
    names = [c.name for c in columns]
    json_at = [i for i, c in enumerate(columns) if isinstance(c.type, sa.JSON)]
    raw = db.session.connection().connection.driver_connection  # the psycopg connection, in this transaction
    quoted = ", ".join(f'"{n}"' for n in names)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    count = 0
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = [row[n] if n in row else defaults[n] for n in names]
                for i in json_at:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)
                count += 1
    except psycopg.Error as exc:
        # The raw cursor bypasses SQLAlchemy: wrap the error as SQLAlchemy would (IntegrityError…),
        # so that callers handle a refused COPY like a refused INSERT.
        raise sa.exc.DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
    return count
