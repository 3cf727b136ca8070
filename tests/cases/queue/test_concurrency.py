"""Eight collectors pressing "Next" at once, on real threads with their own sessions: no case twice.

The rows must be committed for other connections to see them, so this test runs on a database of its
own (a file beside the test database on SQLite, `<test database>_lease` on PostgreSQL), outside the
rolled-back transaction of the other tests.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent, User
from cases.models import Case
from cases.queue.leases import lease_next_case, take_next_case
from tests import factories
from tests.cases.queue.helpers import NOW, queued_case
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db

COLLECTORS = 8
CASES = 240


@pytest.fixture
def lease_app(app, tmp_path):
    """An app on a fresh, migrated database, seeded with one team of collectors and its pool."""
    with separate_app(app, tmp_path, "lease") as lease:
        with lease.app_context():
            collectors = [factories.user("collector") for _ in range(COLLECTORS)]
            team = factories.team(members=tuple(collectors))
            creditor = factories.client()
            for n in range(CASES):
                queued_case(team=team, client_row=creditor, score=n % 17)
            db.session.commit()
            lease.config["COLLECTOR_IDS"] = [c.id for c in collectors]
        yield lease


def _press_until_empty(app, user_id: int, taken: list[int], errors: list[BaseException], operation) -> None:
    """Press "Next" until nothing is left, each press in its own app context (own session, own connection)."""
    try:
        while True:
            with app.app_context():
                user = db.session.get(User, user_id)
                found = operation(user, NOW)
                db.session.commit()
                if found.case is None:
                    return
                taken.append(found.case.id)
    except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
        errors.append(exc)


@pytest.mark.parametrize("operation", [lease_next_case, take_next_case], ids=["lease", "finish-and-next"])
def test_concurrent_next_never_hands_a_case_out_twice(lease_app, operation):
    taken: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_press_until_empty, args=(lease_app, uid, taken, errors, operation))
        for uid in lease_app.config["COLLECTOR_IDS"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    assert [case_id for case_id, n in Counter(taken).items() if n > 1] == []
    with lease_app.app_context():
        assert set(taken) == set(db.session.scalars(sa.select(Case.id)))  # every case, once
        leased = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.leased")
        )
        assert leased == CASES
        per_collector = Counter(db.session.scalars(sa.select(Case.leased_by_id).where(Case.leased_by_id.is_not(None))))
    if operation is lease_next_case:
        assert sum(per_collector.values()) == CASES  # every lease still held by whoever took it
        assert len(per_collector) > 1  # the collectors really did take cases side by side
