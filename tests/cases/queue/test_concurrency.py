"""Collectors pressing "Next" at once, on real threads with their own sessions: no case twice, and one
collector's parallel presses (a double click, many tabs) lease one case and finish nothing by mistake.

The rows must be committed for other connections to see them, so these tests run on a database of their
own (a file beside the test database on SQLite, `<test database>_lease` on PostgreSQL), outside the
rolled-back transaction of the other tests.
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from agency.db import db
from agency.models import AuditEvent, User
from cases.models import Case
from cases.queue.leases import finish_case, lease_next_case
from tests import factories
from tests.cases.queue.helpers import NOW, queued_case
from tests.conftest import IsolatedClient, csrf_token, login
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db

COLLECTORS = 8
CASES = 240
PRESSES = 20  # one collector's parallel requests


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


def _press_until_empty(app, user_id: int, taken: list[int], errors: list[BaseException], together: bool) -> None:
    """Press "Next" and finish the case until nothing is left, each transaction in its own app context
    (own session, own connection); `together`: "Finish and next", one transaction for both.
    """
    try:
        held: tuple[int, str] | None = None
        while True:
            with app.app_context():
                user = db.session.get(User, user_id)
                if held is not None:
                    finish_case(db.session.get(Case, held[0]), user, held[1], NOW)
                    if not together:
                        db.session.commit()
                found = lease_next_case(user, NOW)
                db.session.commit()
                if found.case is None:
                    return
                assert not found.held  # the case in hand was finished first
                taken.append(found.case.id)
                held = (found.case.id, found.case.lease_token)
    except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
        errors.append(exc)


@pytest.mark.parametrize("together", [False, True], ids=["next-then-finish", "finish-and-next"])
def test_concurrent_next_never_hands_a_case_out_twice(lease_app, together):
    taken: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_press_until_empty, args=(lease_app, uid, taken, errors, together))
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
        by_collector = Counter(
            db.session.scalars(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "case.leased"))
        )
        assert db.session.scalar(sa.select(sa.func.count()).where(Case.leased_by_id.is_not(None))) == 0
    assert len(by_collector) > 1  # the collectors really did take cases side by side


# --- one collector, many parallel requests: through the real views -------------------------------------


def _in_parallel(app: Flask, cookie: str, send: Callable[[FlaskClient], object]) -> list:
    """Send PRESSES requests at the same instant, each from its own client of one signed-in session."""
    answers: list = []
    errors: list[BaseException] = []
    start = threading.Barrier(PRESSES)

    def run() -> None:
        try:
            client = app.test_client()
            client.set_cookie("session", cookie)
            start.wait(timeout=60)
            answers.append(send(client))
        except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(PRESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == PRESSES
    return answers


def _leases(app: Flask) -> tuple[list[tuple[int, str]], Counter]:
    """Return the leases held (case id, token) and the count of each lease audit event."""
    with app.app_context():
        held = db.session.execute(
            sa.select(Case.id, Case.lease_token).where(Case.leased_by_id.is_not(None))
        ).all()
        events = Counter(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("case.lease%"))))
        return [tuple(row) for row in held], events


def test_one_collector_pressing_next_twenty_times_at_once_holds_one_case(lease_app, time_machine):
    time_machine.move_to(NOW)  # a Monday morning in Paris: the debtors may be called
    lease_app.test_client_class = IsolatedClient
    with lease_app.app_context():
        collector = db.session.get(User, lease_app.config["COLLECTOR_IDS"][0])
        due_before = dict(db.session.execute(sa.select(Case.id, Case.next_action_at)).all())
        email = collector.email
    signed_in = lease_app.test_client()
    assert login(signed_in, email).status_code == 302
    token = csrf_token(signed_in, "/queue/")
    cookie = signed_in.get_cookie("session").value

    answers = _in_parallel(lease_app, cookie, lambda c: c.post("/queue/next", data={"csrf_token": token}))
    assert {(a.status_code, a.headers["Location"]) for a in answers} == {(302, answers[0].headers["Location"])}
    (case_id, lease), = _leases(lease_app)[0]
    assert answers[0].headers["Location"] == f"/cases/{case_id}?from=queue"  # every answer shows that case
    with lease_app.app_context():
        assert dict(db.session.execute(sa.select(Case.id, Case.next_action_at)).all()) == due_before
    assert _leases(lease_app)[1] == {"case.leased": 1}  # nothing finished, nothing pushed back

    # "Finish and next case" pressed twenty times at once: one finish, one new lease, the rest refused.
    form = {"csrf_token": token, "lease": lease, "then_next": "1"}
    answers = _in_parallel(lease_app, cookie, lambda c: c.post(f"/queue/cases/{case_id}/finish", data=form))
    (next_id, next_lease), = _leases(lease_app)[0]
    assert next_id != case_id and next_lease != lease
    assert _leases(lease_app)[1] == {"case.leased": 2, "case.lease_finished": 1}
    assert sorted(a.headers["Location"] for a in answers) == (
        [f"/cases/{next_id}"] * (PRESSES - 1) + [f"/cases/{next_id}?from=queue"]
    )
    with lease_app.app_context():
        pushed = db.session.scalars(sa.select(Case.id).where(Case.id.in_(due_before), Case.next_action_at > NOW)).all()
    assert pushed == [case_id]

    # A stale form, sent again later: refused in French, nothing changed.
    stale = signed_in.post(f"/queue/cases/{case_id}/finish", data=form, follow_redirects=True)
    page = html.unescape(stale.get_data(as_text=True))
    assert re.search(r"Ce dossier a déjà été terminé ou rendu.*rien n'a été modifié", page)
    assert _leases(lease_app) == ([(next_id, next_lease)], {"case.leased": 2, "case.lease_finished": 1})
