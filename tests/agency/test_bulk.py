"""Bulk writing: rows streamed to the database come back exactly as written, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from agency.bulk import RowStream
from agency.models import AuditEvent
from tests import factories

TRICKY = ["tab\there", "line\nbreak", "back\\slash", "cr\rlf", "\\N", "accents éà€", ""]


def test_streamed_rows_read_back_exactly(db_session):
    when = datetime(2026, 11, 23, 21, 30, 15, tzinfo=UTC)
    rows = [
        {
            "created_at": when,
            "actor_label": label,
            "action": "bulk.test",
            "subject_type": "test",
            "subject_id": i,
            "after": {"label": label, "n": i, "quote": 'say "hi"'},
        }
        for i, label in enumerate(TRICKY)
    ]
    with RowStream() as stream:
        assert stream.write(AuditEvent.__table__, rows) == len(TRICKY)
        assert stream.write(AuditEvent.__table__, []) == 0
    found = db_session.execute(
        sa.select(AuditEvent.actor_label, AuditEvent.after, AuditEvent.created_at, AuditEvent.before)
        .where(AuditEvent.action == "bulk.test")
        .order_by(AuditEvent.subject_id)
    ).all()
    assert [f.actor_label for f in found] == TRICKY
    assert [f.after["label"] for f in found] == TRICKY and found[0].after["quote"] == 'say "hi"'
    assert all(f.created_at == when and f.before is None for f in found)


def test_plain_text_rows_read_back_exactly(db_session):
    """Rows of text alone (no JSON, whose escapes would take the careful path anyway)."""
    from debtors.models import Debtor

    rows = [{"kind": "person", "first_name": name, "last_name": f"Bulk{i}"} for i, name in enumerate(TRICKY)]
    with RowStream() as stream:
        stream.write(Debtor.__table__, rows)
    found = db_session.execute(
        sa.select(Debtor.first_name).where(Debtor.last_name.like("Bulk%")).order_by(Debtor.id)
    ).scalars()
    assert list(found) == TRICKY


def test_a_refused_row_raises_and_the_savepoint_keeps_nothing(db_session):
    client = factories.client()
    db_session.flush()
    good = {"action": "bulk.test", "actor_label": "x", "subject_type": "t", "client_id": client.id}
    bad = good | {"client_id": 999_999_999}  # no such client: the foreign key refuses it
    savepoint = db_session.begin_nested()
    with pytest.raises(sa.exc.DBAPIError), RowStream() as stream:
        stream.write(AuditEvent.__table__, [good] * 3 + [bad])
    savepoint.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "bulk.test")) == 0


def test_a_failure_while_building_rows_leaves_the_connection_usable(db_session):
    def rows():
        yield {"action": "bulk.test", "actor_label": "x", "subject_type": "t"}
        raise ValueError("a bug while building rows")

    savepoint = db_session.begin_nested()
    with pytest.raises(ValueError, match="a bug"), RowStream() as stream:
        stream.write(AuditEvent.__table__, rows())
    savepoint.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "bulk.test")) == 0
