"""Searching the audit trail without counting it: newest first, paged on (created_at, id).

The table grows by every change, contact and login (tens of millions of rows), so a page never counts the
rows nor skips an offset: it reads the next rows after a cursor, the last row shown, through an index whose
order is the page's. Each filter has one (migration 0041):

- a user: (actor_id, created_at, id); an exact kind of event: (action, created_at, id); a period alone:
  (created_at, id);
- a case or a debtor: the subject index (subject_type, subject_id), over the case itself and every row that
  belongs to it (its claims, payments, letters… any table with a `case_id`), and for a debtor, the debtor's
  own rows and every case of theirs. A case has hundreds of events, not millions: they are sorted as read.
- a kind given by its start ("case." or "case.*"): the kinds that start so are listed from the action index
  (one probe per distinct kind), then each is read in order from that index and the first rows of all kept;
  a LIKE would read the whole range and sort it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from agency.db import db
from agency.models import AuditEvent, Client, User
from cases.models import Case
from debtors.models import Debtor

CASE_TABLE = Case.__tablename__
DEBTOR_TABLE = Debtor.__tablename__
ORDER = (AuditEvent.created_at.desc(), AuditEvent.id.desc())


@dataclass(frozen=True)
class AuditFilters:
    """What the screen was asked for; None or "" leaves a filter out."""

    case: Case | None = None
    debtor: Debtor | None = None
    actor_id: int | None = None
    kind: str = ""  # "case.closed" exactly, or "case." / "case.*" for every kind starting so
    start: date | None = None  # the agency's calendar days, both included
    end: date | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in the trail: the (created_at, id) of an event."""

    created_at: datetime
    id: int

    def token(self) -> str:
        """Return the cursor as it goes into a link: microseconds since the epoch, a dot, the id."""
        micros = (self.created_at - datetime(1970, 1, 1, tzinfo=self.created_at.tzinfo)) // timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """Read a cursor from a link; None when there is none or it was tampered with."""
        micros, _, event_id = (token or "").partition(".")
        if not (micros.lstrip("-").isdigit() and event_id.isdigit()):
            return None
        try:
            moment = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")) + timedelta(microseconds=int(micros))
        except OverflowError:
            return None
        return cls(moment, int(event_id))

    @classmethod
    def of(cls, event: AuditEvent) -> Cursor:
        return cls(event.created_at, event.id)


@dataclass
class Page:
    """The events of one page, newest first, and the cursors of the pages around it (None: there is none)."""

    events: list[AuditEvent]
    older: Cursor | None = None
    newer: Cursor | None = None
    cases: dict[int, str] = field(default_factory=dict)  # case id -> reference, for the events about a case
    clients: dict[int, str] = field(default_factory=dict)  # client id -> name


def page(filters: AuditFilters, size: int, after: Cursor | None = None, before: Cursor | None = None) -> Page:
    """Return the `size` events after the cursor `after` (older ones), or just before `before` (newer ones)."""
    going_newer = before is not None and after is None
    rows = _read(filters, size + 1, before if going_newer else after, newer=going_newer)
    more = len(rows) > size
    rows = rows[:size]
    if going_newer:
        rows.reverse()
        result = Page(rows, older=Cursor.of(rows[-1]) if rows else before,
                      newer=Cursor.of(rows[0]) if more and rows else None)
    else:
        result = Page(rows, older=Cursor.of(rows[-1]) if more else None,
                      newer=Cursor.of(rows[0]) if after is not None and rows else None)
    result.cases, result.clients = names_for(rows)
    return result


def iterate(filters: AuditFilters, batch: int = 1000) -> Iterator[tuple[list[AuditEvent], dict, dict]]:
    """Yield every event the filters keep, newest first, in batches (with their case and client names): an
    export of millions of rows holds one batch at a time, and each batch is one short indexed query."""
    cursor = None
    while True:
        rows = _read(filters, batch, cursor, newer=False)
        if not rows:
            return
        yield (rows, *names_for(rows))
        if len(rows) < batch:
            return
        cursor = Cursor.of(rows[-1])
        for event in rows:  # written out: the session need not keep them
            db.session.expunge(event)


def kinds() -> list[str]:
    """Return every distinct kind of event, from the action index: one probe per kind, not a scan."""
    step = sa.select(sa.func.min(AuditEvent.action))
    seen = step.cte("kinds", recursive=True)
    following = sa.select(
        sa.select(sa.func.min(AuditEvent.action)).where(AuditEvent.action > seen.c.min).scalar_subquery()
    ).where(seen.c.min.is_not(None))
    found = seen.union_all(following)
    return [k for k in db.session.scalars(sa.select(found.c.min)) if k is not None]


def _read(filters: AuditFilters, limit: int, cursor: Cursor | None, newer: bool) -> list[AuditEvent]:
    where = _conditions(filters)
    if cursor is not None:
        position = sa.tuple_(AuditEvent.created_at, AuditEvent.id)
        mark = sa.tuple_(sa.literal(cursor.created_at, AuditEvent.created_at.type), sa.literal(cursor.id))
        where.append(position > mark if newer else position < mark)
    order = (AuditEvent.created_at.asc(), AuditEvent.id.asc()) if newer else ORDER
    actions = _actions(filters.kind)
    if actions == []:
        return []
    if actions is not None and len(actions) > 1 and filters.case is None and filters.debtor is None:
        return _read_kinds_merged(where, actions, newer, limit)
    if actions is not None:
        where.append(AuditEvent.action == actions[0] if len(actions) == 1 else AuditEvent.action.in_(actions))
    return list(db.session.scalars(sa.select(AuditEvent).where(*where).order_by(*order).limit(limit)))


def _read_kinds_merged(where: list, actions: list[str], newer: bool, limit: int) -> list[AuditEvent]:
    """The first `limit` events over several kinds: each kind's first rows from its index, then the best of all."""
    order = (AuditEvent.created_at.asc(), AuditEvent.id.asc()) if newer else ORDER
    branches = [
        sa.select(AuditEvent.id, AuditEvent.created_at).where(*where, AuditEvent.action == action)
        .order_by(*order).limit(limit).subquery().select()
        for action in actions
    ]
    merged = sa.union_all(*branches).subquery()
    merged_order = (merged.c.created_at.asc(), merged.c.id.asc()) if newer \
        else (merged.c.created_at.desc(), merged.c.id.desc())
    ids = list(db.session.scalars(sa.select(merged.c.id).order_by(*merged_order).limit(limit)))
    by_id = {e.id: e for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id.in_(ids)))}
    return [by_id[i] for i in ids]


def _actions(kind: str) -> list[str] | None:
    """None for any kind; else the kinds asked (an empty list when none starts so)."""
    kind = kind.strip()
    if not kind:
        return None
    if kind.endswith("*") or kind.endswith("."):
        prefix = kind.rstrip("*")
        return [k for k in kinds() if k.startswith(prefix)]
    return [kind]


def _conditions(filters: AuditFilters) -> list:
    """The WHERE clauses of the filters but the kind."""
    where: list = []
    if filters.actor_id is not None:
        where.append(AuditEvent.actor_id == filters.actor_id)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if filters.start is not None:
        where.append(AuditEvent.created_at >= datetime.combine(filters.start, time(), zone))
    if filters.end is not None:
        where.append(AuditEvent.created_at < datetime.combine(filters.end + timedelta(days=1), time(), zone))
    if filters.case is not None:
        where.append(_about_cases([filters.case.id]))
    if filters.debtor is not None:
        case_ids = list(db.session.scalars(sa.select(Case.id).where(Case.debtor_id == filters.debtor.id)))
        where.append(sa.or_(_about_cases(case_ids), _about_rows("debtor_id", [filters.debtor.id], DEBTOR_TABLE)))
    return where


def _about_cases(case_ids: list[int]) -> sa.ColumnElement[bool]:
    """Events whose subject is one of the cases or a row of theirs."""
    if not case_ids:
        return sa.false()
    return _about_rows("case_id", case_ids, CASE_TABLE)


def _about_rows(key: str, ids: list[int], own_table: str) -> sa.ColumnElement[bool]:
    """Events about the rows `ids` of `own_table`, or about a row of any table whose column `key` names one."""
    clauses = [sa.and_(AuditEvent.subject_type == own_table, AuditEvent.subject_id.in_(ids))]
    for table in _tables_with(key):
        rows = sa.select(table.c.id).where(table.c[key].in_(ids))
        clauses.append(sa.and_(AuditEvent.subject_type == table.name, AuditEvent.subject_id.in_(rows)))
    return sa.or_(*clauses)


def _tables_with(key: str) -> list[sa.Table]:
    # Read from the schema, so the rows of a table added later are found by their case or debtor too.
    return [t for t in db.metadata.sorted_tables
            if key in t.c and "id" in t.c and t.name not in (CASE_TABLE, DEBTOR_TABLE, AuditEvent.__tablename__)]


def names_for(events: list[AuditEvent]) -> tuple[dict[int, str], dict[int, str]]:
    """Return the references of the cases and the names of the clients the events are about, in two queries."""
    case_ids = {e.subject_id for e in events if e.subject_type == CASE_TABLE and e.subject_id is not None}
    client_ids = {e.client_id for e in events if e.client_id is not None}
    cases = dict(db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all()) \
        if case_ids else {}
    clients = dict(db.session.execute(sa.select(Client.id, Client.name).where(Client.id.in_(client_ids))).all()) \
        if client_ids else {}
    return cases, clients


@dataclass(frozen=True)
class Change:
    """One value an event changed: `before` is absent for a value set, `after` for a value removed."""

    name: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"


def changes(event: AuditEvent) -> list[Change]:
    """Return the event's before and after as the values that differ, by name (the rest is left out)."""
    before, after = event.before or {}, event.after or {}
    found = []
    for name in sorted(set(before) | set(after)):
        old = _shown(before[name]) if name in before else None
        new = _shown(after[name]) if name in after else None
        if old != new:
            found.append(Change(name, old, new))
    return found


def changes_text(event: AuditEvent) -> str:
    """Return the changes in one line, for an export: "status: open → closed; note: + …"."""
    parts = []
    for change in changes(event):
        if change.kind == "added":
            parts.append(f"{change.name}: {change.after}")
        elif change.kind == "removed":
            parts.append(f"{change.name}: {change.before} → ∅")
        else:
            parts.append(f"{change.name}: {change.before} → {change.after}")
    return "; ".join(parts)


def _shown(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def filters_from(case_ref: str, debtor_key: str, actor_id: int | None, kind: str, start: date | None,
                 end: date | None) -> tuple[AuditFilters | None, dict[str, str]]:
    """Resolve what the search form was given: the filters, or the fields naming nothing with the reason."""
    errors: dict[str, str] = {}
    case = debtor = None
    if case_ref:
        case = db.session.scalar(sa.select(Case).where(Case.reference == case_ref.upper()))
        if case is None:
            errors["case"] = _("No case has the reference %(reference)s.", reference=case_ref)
    if debtor_key:
        debtor = _debtor(debtor_key.replace(" ", ""))
        if debtor is None:
            errors["debtor"] = _("No debtor has the number or SIREN %(key)s.", key=debtor_key)
    if errors:
        return None, errors
    return AuditFilters(case, debtor, actor_id, kind, start, end), {}


def _debtor(key: str) -> Debtor | None:
    if len(key) == 9:  # a SIREN (debtor numbers reach nine digits past a hundred million debtors)
        found = db.session.scalars(sa.select(Debtor).where(Debtor.siren == key).order_by(Debtor.id).limit(2)).all()
        if len(found) == 1:
            return found[0]
    return db.session.get(Debtor, int(key)) if len(key) < 12 else None


def actor_choices() -> list[tuple[int | None, str]]:
    """The users to pick from, deactivated ones included: their events stay in the trail."""
    users = db.session.scalars(sa.select(User).order_by(User.name, User.id))
    return [(None, _("Everyone")), *((u.id, f"{u.name} · {u.email}") for u in users)]
