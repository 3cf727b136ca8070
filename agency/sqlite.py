"""Embedded mode's SQLite: real transactions, and a fair share of its one write lock.

SQLite lets one connection write at a time. A transaction that will write takes the lock when it
begins (`BEGIN IMMEDIATE`), and a connection that finds it taken polls (the busy timeout) until it is
free. Background jobs commit in small transactions but begin the next one at once, so a polling
user could wait for the whole job. Two rules keep people first:

- in this process, a background transaction does not begin while a person's request waits for the
  lock (the `WriteGate`);
- other processes (a shell command) cannot be seen waiting, so background work breathes: after
  about a second of holding the lock, it leaves it free longer than a poller sleeps between tries.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import has_request_context, request


class WriteGate:
    """Who may begin a write transaction next: people waiting in this process go first."""

    def __init__(self, hold_budget: float = 1.0, breather: float = 0.15, patience: float = 30.0) -> None:
        # SQLite's busy handler sleeps at most 100 ms between tries: a breather longer than that lets
        # any waiting process in.
        self.hold_budget, self.breather, self.patience = hold_budget, breather, patience
        self._people = 0
        self._changed = threading.Condition()
        self._held = 0.0  # seconds background work held the lock since its last breather
        self._local = threading.local()

    @contextmanager
    def person_waiting(self):
        """Mark a person's request as waiting for the write lock while the block runs."""
        with self._changed:
            self._people += 1
        try:
            yield
        finally:
            with self._changed:
                self._people -= 1
                self._changed.notify_all()

    def background_begins(self) -> None:
        """Wait for people first, and breathe when the lock was held long enough; then note the start."""
        with self._changed:
            self._changed.wait_for(lambda: self._people == 0, timeout=self.patience)
        if self._held >= self.hold_budget:
            time.sleep(self.breather)
            self._held = 0.0
        self._local.began = time.monotonic()

    def background_ends(self) -> None:
        """Count how long the transaction that ends held the lock."""
        began = getattr(self._local, "began", None)
        if began is not None:
            self._held += time.monotonic() - began
            self._local.began = None


def is_background() -> bool:
    """Tell whether this thread does background work (the embedded scheduler marks its thread so)."""
    return getattr(threading.current_thread(), "background_work", False)


def configure_sqlite(engine: sa.Engine, busy_timeout: float, gate: WriteGate | None = None) -> WriteGate:
    """Turn on foreign keys and real transactions (SAVEPOINT, transactional DDL), and share the lock.

    `busy_timeout` is how many seconds a connection polls for the lock before "database is locked".
    """
    gate = gate or WriteGate()

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
        dbapi_connection.create_function("local_day", 2, _local_day, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A transaction that reads, then writes after another connection committed, fails at once
        # (WAL: its snapshot is stale; waiting cannot help). Transactions that will write (jobs, form
        # posts) take the write lock up front instead, so they wait their turn; pages being read
        # (GET) stay concurrent.
        if _reading_only():
            conn.exec_driver_sql("BEGIN")
        elif is_background():
            gate.background_begins()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif has_request_context():
            with gate.person_waiting():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @sa.event.listens_for(engine, "commit")
    @sa.event.listens_for(engine, "rollback")
    def _on_end(conn):
        if is_background():
            gate.background_ends()

    return gate


def _reading_only() -> bool:
    return has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")


def _local_day(moment: str | None, zone: str) -> str | None:
    """SQL `local_day(timestamp, zone)`: the day of a stored UTC timestamp in `zone` (agency.db.local_day)."""
    if moment is None:
        return None
    parsed = datetime.fromisoformat(moment)
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(ZoneInfo(zone)).date().isoformat()
