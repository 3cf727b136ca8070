"""Writing many rows fast: ids handed out in one statement, rows written with COPY on PostgreSQL and
one executemany on SQLite. Never one ORM object per row. Rows are complete dicts: column defaults
are applied here, since COPY does not know them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa

from agency.db import db


def allocate_ids(table: sa.Table, count: int) -> list[int]:
    """Reserve `count` primary keys of `table` for rows about to be written in this transaction.

    On SQLite the caller must already hold the write lock (have written in this transaction), so that
    no other writer takes the same ids between this read and the insert.
    """
    if count <= 0:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        )
        return [row[0] for row in rows]
    start = connection.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def insert_rows(table: sa.Table, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts by column name, defaults filled in) and return how many were written."""
    columns = list(table.columns)
    complete = [_complete(columns, row) for row in rows]
    if not complete:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, complete)
    else:
        connection.execute(table.insert(), complete)
    return len(complete)


def _complete(columns: list[sa.Column], row: dict) -> dict:
    full = dict(row)
    for column in columns:
        if column.name in full:
            continue
        default = column.default
        if default is None:
            full[column.name] = None
        elif default.is_callable:
            full[column.name] = default.arg(None)
        else:
            full[column.name] = default.arg
    return full


def _copy(connection: sa.Connection, table: sa.Table, columns: list[sa.Column], rows: list[dict]) -> None:
    names = [c.name for c in columns]
    is_json = [isinstance(c.type, sa.JSON) for c in columns]
    raw = connection.connection.driver_connection  # the psycopg connection, inside this transaction
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[n]) if j and row[n] is not None else row[n] for n, j in zip(names, is_json, strict=True)]
            )
