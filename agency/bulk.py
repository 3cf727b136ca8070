"""Reading and writing many rows fast: ids handed out in one statement, rows written with COPY on
PostgreSQL (from a second thread, see `RowStream`) and one executemany on SQLite, lookups of many
values with one array parameter. Never one ORM object per row. Column defaults are applied here,
since COPY does not know them.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime

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
        # The sequence is looked up once: pg_get_serial_sequence inside the series would read the
        # catalog for every id (five times the cost of the nextvals themselves).
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar_one()
        return connection.execute(
            sa.text("SELECT array_agg(nextval(CAST(:sequence AS regclass))) FROM generate_series(1, :n)"),
            {"sequence": sequence, "n": count},
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
        yield from db.session.execute(select.where(column == sa.any_(_array_parameter(values, type_))))
        return
    for start in range(0, len(values), _SQLITE_CHUNK):
        yield from db.session.execute(select.where(column.in_(values[start : start + _SQLITE_CHUNK])))


_SEPARATOR = "\x1f"  # the ASCII unit separator, which text cells practically never hold (checked)


def _array_parameter(values: list, type_) -> sa.ColumnElement:
    """Return `values` as one PostgreSQL array parameter.

    Sent as one joined string split by the server: the driver would otherwise format every element
    of a 100,000-value array in Python, which costs more than the query. Values holding the separator
    (or None) go as a regular array.
    """
    texts = [str(value) for value in values if value is not None]
    joined = _SEPARATOR.join(texts)
    # An empty `joined` would split into no value at all, not into one empty string.
    if joined and len(texts) == len(values) and joined.count(_SEPARATOR) == len(texts) - 1:
        split = sa.func.string_to_array(sa.bindparam("joined", joined, type_=sa.Text), _SEPARATOR)
        return sa.cast(split, postgresql.ARRAY(type_))
    return sa.bindparam("values", values, type_=postgresql.ARRAY(type_))


def insert_rows(table: sa.Table, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts by column name; missing columns take their default) and return the count.

    Rows without an "id" get one from the database (its sequence): cheaper than `allocate_ids` when
    nothing written later needs to point at them.
    """
    with RowStream() as stream:
        return stream.write(table, rows)


def _columns(table: sa.Table, first: dict) -> tuple[list[str], dict]:
    """Return the columns a bulk write fills and their defaults (COPY does not know them)."""
    columns = [c for c in table.columns if c.name in first or not (c.primary_key and c.autoincrement)]
    return [c.name for c in columns], {c.name: _default(c) for c in columns}


def _default(column: sa.Column):
    # Evaluated once per batch: every row of one bulk write gets the same timestamp, as in one statement.
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


# --- several tables in a row, the next one built while the server takes the last -----------------

_CHUNK_BYTES = 1 << 16
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class RowStream:
    """Write several tables, one after the other, in the session's transaction.

    On PostgreSQL a second thread runs the COPYs while this one formats the rows of the next table:
    the server checks foreign keys and fills indexes on one core while Python builds rows on the
    other, instead of each waiting for the other. The session must not be used until the stream is
    closed (the connection is busy); read and reserve everything first. On SQLite each `write` is
    one executemany.
    """

    def __init__(self) -> None:
        self._postgresql = _is_postgresql()
        self._queue: queue.Queue = queue.Queue(maxsize=64)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._statement = ""

    def __enter__(self) -> RowStream:
        if self._postgresql:
            raw = db.session.connection().connection.driver_connection
            self._thread = threading.Thread(target=self._copy_all, args=(raw,), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._wrapped(self._error)

    def write(self, table: sa.Table, rows: Iterable[dict]) -> int:
        """Queue `rows` (dicts by column name; missing columns take their default); return their count."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        names, defaults = _columns(table, first)
        if not self._postgresql:
            complete = [defaults | row for row in itertools.chain((first,), rows)]
            db.session.connection().execute(table.insert(), complete)
            return len(complete)
        quoted = ", ".join(f'"{n}"' for n in names)
        self._put(("start", f'COPY "{table.name}" ({quoted}) FROM STDIN'))
        fixed = {n: _copy_text(value) for n, value in defaults.items()}  # formatted once per table
        tabs = len(names) - 1
        count, lines, size = 0, [], 0
        for row in itertools.chain((first,), rows):
            # Most values are strings needing no escape: they go as they are, and the whole line is
            # checked once for what would need one, rather than each value on its own.
            line = "\t".join(
                [
                    (value if (value := row[n]).__class__ is str else _copy_text(value)) if n in row else fixed[n]
                    for n in names
                ]
            )
            if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != tabs:
                line = "\t".join([_copy_text(row[n]) if n in row else fixed[n] for n in names])
            line += "\n"
            lines.append(line)
            size += len(line)
            count += 1
            if size >= _CHUNK_BYTES:
                self._put(("data", "".join(lines).encode()))
                lines, size = [], 0
        if lines:
            self._put(("data", "".join(lines).encode()))
        self._put(("end", None))
        return count

    def _put(self, item: tuple) -> None:
        if self._error is not None:  # the server refused a row: stop building the others
            raise self._wrapped(self._error)
        self._queue.put(item)

    def _copy_all(self, raw) -> None:
        copy_context = copy = None
        try:
            with raw.cursor() as cursor:
                while (item := self._queue.get()) is not None:
                    kind, payload = item
                    if kind == "start":
                        self._statement = payload
                        copy_context = cursor.copy(payload)
                        copy = copy_context.__enter__()
                    elif kind == "data":
                        copy.write(payload)
                    else:
                        copy_context.__exit__(None, None, None)
                        copy_context = copy = None
                if copy_context is not None:  # the caller failed mid-table: end the COPY as failed
                    stopped = RuntimeError("the rows stopped coming")
                    copy_context.__exit__(RuntimeError, stopped, None)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            self._error = exc
            self._drain()

    def _drain(self) -> None:
        """Take and drop what the producer still puts, so it is never blocked, until it closes."""
        item = self._queue.get()
        while item is not None:
            item = self._queue.get()

    def _wrapped(self, error: BaseException) -> BaseException:
        if isinstance(error, psycopg.Error):
            return sa.exc.DBAPIError.instance(self._statement, None, error, psycopg.Error)
        return error


def _copy_text(value) -> str:
    """Return `value` in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        # Most values need no escaping: four C-level scans cost less than translating every one.
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (date, datetime)):  # an aware datetime keeps its UTC offset
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return _copy_text(json.dumps(value))
    raise TypeError(f"cannot COPY a {type(value).__name__}")
