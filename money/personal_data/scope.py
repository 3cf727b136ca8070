"""Which rows, stored files and audit events belong to one debtor, read from the schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from agency.db import db
from agency.message_models import EmailMessage, SmsMessage
from agency.models import AuditEvent
from cases.models import Case
from debtors.models import ContactKind, ContactPoint, Debtor

CHUNK = 500
# The trail and the record of its scrubbing are read apart (events); the rest are not the debtor's own rows:
# caches of report figures are keyed by case but hold no personal data and are recomputed.
SKIPPED = frozenset({"audit_event", "audit_scrub", "aged_case", "channel_case"})
# Rows reached through a link that the debtor's rows hold (an action's SMS), rather than by a column naming
# the debtor or a case: only these, since following links upwards in general would reach shared rows
# (the client, a placement, a remittance statement listing other debtors).
LINKED = {"sms_message": "sms_message_id", "email_message": "email_message_id"}


@dataclass
class DebtorData:
    """The debtor's rows by table (each row a mapping of its columns), in the schema's order."""

    debtor_id: int
    case_ids: list[int]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def ids(self, table: str) -> list[Any]:
        key = _key_column(db.metadata.tables[table])
        return [row[key] for row in self.rows.get(table, [])] if key is not None else []


def _key_column(table: sa.Table) -> str | None:
    keys = list(table.primary_key.columns)
    return keys[0].name if len(keys) == 1 else None


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _select(table: sa.Table, column: str, values: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    readable = [c for c in table.c if not isinstance(c.type, sa.LargeBinary)]
    for part in _chunks(sorted(set(values))):
        query = sa.select(*readable).where(table.c[column].in_(part))
        if (key := _key_column(table)) is not None:
            query = query.order_by(table.c[key])
        found.extend(dict(row._mapping) for row in db.session.execute(query))
    return found


def debtor_data(debtor: Debtor) -> DebtorData:
    """Return every row of every table that is the debtor's: by its `debtor_id`, one of its cases' `case_id`,
    a row those rows own (a plan's instalments), or a message sent to or received from them."""
    case_ids = list(db.session.scalars(sa.select(Case.id).where(Case.debtor_id == debtor.id).order_by(Case.id)))
    data = DebtorData(debtor.id, case_ids)
    tables = [t for t in db.metadata.sorted_tables if t.name not in SKIPPED and t.name not in LINKED]
    for table in tables:
        if table.name == Debtor.__tablename__:
            data.rows[table.name] = _select(table, "id", [debtor.id])
        elif table.name == Case.__tablename__:
            data.rows[table.name] = _select(table, "id", case_ids)
        elif "debtor_id" in table.c:
            data.rows[table.name] = _select(table, "debtor_id", [debtor.id])
        elif "case_id" in table.c:
            data.rows[table.name] = _select(table, "case_id", case_ids)
    _add_owned(data, tables)
    _add_messages(data)
    return DebtorData(debtor.id, case_ids, {name: rows for name, rows in data.rows.items() if rows})


def _add_owned(data: DebtorData, tables: list[sa.Table]) -> None:
    """Add the rows of tables with neither column that belong to a row already found (by their foreign key)."""
    for table in tables:  # sorted: a parent comes before the tables referring to it
        if table.name in data.rows:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in data.rows and parent not in (Debtor.__tablename__, Case.__tablename__) \
                    and fk.column.name == _key_column(fk.column.table) and fk.parent.name != "id":
                data.rows.setdefault(table.name, []).extend(_select(table, fk.parent.name, data.ids(parent)))


def _add_messages(data: DebtorData) -> None:
    """Messages sent to the debtor (linked from their actions and links) and replies from their numbers."""
    for table_name, column in LINKED.items():
        ids = {row[column] for rows in data.rows.values() for row in rows if row.get(column) is not None}
        data.rows[table_name] = _select(db.metadata.tables[table_name], "id", list(ids)) if ids else []
    points = data.rows.get(ContactPoint.__tablename__, [])
    phones = [p["value"] for p in points if p["kind"] == ContactKind.PHONE and p["value"]]
    emails = [p["value"] for p in points if p["kind"] == ContactKind.EMAIL and p["value"]]
    _add_inbound(data, SmsMessage.__table__, "from_number", phones)
    _add_inbound(data, EmailMessage.__table__, "from_address", emails)


def _add_inbound(data: DebtorData, table: sa.Table, column: str, senders: list[str]) -> None:
    if not senders:
        return
    known = {row["id"] for row in data.rows[table.name]}
    inbound = [row for row in _select(table, column, senders) if row["direction"] == "inbound"]
    data.rows[table.name].extend(row for row in inbound if row["id"] not in known)


def audit_events(data: DebtorData) -> Iterator[list[AuditEvent]]:
    """Yield, in batches, the audit events about the debtor or one of their rows, oldest first."""
    for table_name in data.rows:
        ids = data.ids(table_name)
        if not ids or not isinstance(ids[0], int):
            continue
        for part in _chunks(ids):
            yield list(db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.subject_type == table_name, AuditEvent.subject_id.in_(part))
                .order_by(AuditEvent.created_at, AuditEvent.id)
            ))


def stored_files(data: DebtorData) -> Iterator[tuple[str, Any, str, str]]:
    """Yield (table, row id, key, recorded SHA-256) of every stored document the debtor's rows name."""
    for table_name, rows in data.rows.items():
        key = _key_column(db.metadata.tables[table_name])
        for row in rows:
            for _column, path, sha256 in _paths_of(row):
                if path:
                    yield table_name, row.get(key), path, sha256


def _paths_of(row: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for column, value in row.items():
        if column.endswith("_path") and isinstance(value, str):
            sha_column = "sha256" if column == "file_path" else column.removesuffix("_path") + "_sha256"
            yield column, value, row.get(sha_column) or ""
    for part in (row.get("pack_parts") or {}).values():  # a judicial file: one stored object per part
        if isinstance(part, dict) and part.get("path"):
            yield "pack_parts", part["path"], part.get("sha256") or ""
