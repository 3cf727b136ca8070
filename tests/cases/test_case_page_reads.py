"""The case page reads each thing once: its panels share what several of them ask (agency.page_reads).

Before, a staff case page ran about 106 statements at a million cases, the balance five times and the contact
rules' facts nine; these tests keep it from drifting back, and show that nothing is remembered outside a page.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask import g

from agency.db import db
from agency.page_reads import read_once, reading_once
from cases import ledger
from cases.actions import record_action
from cases.models import EntryKind
from cases.work.promises import Instalment, record_promises
from tests import factories
from tests.conftest import csrf_token

# A working Tuesday morning in Paris: every contact rule has something to say, none refuses for the hour.
MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False):
        yield


def _busy_case(db_session):
    """A case with something in every panel: calls, a promise, a first notice, a payment, phones, an address."""
    factories.agency_profile()
    case = factories.case(amounts=(120_000, 45_000))
    factories.contact(case.debtor, "phone", "+33612345678", is_primary=True)
    factories.contact(case.debtor, "email", "jeanne.martin@example.org")
    factories.postal_address(case.debtor)
    record_action(case, "call", "phone", actor=None, outcome="no_answer", note="Messagerie")
    factories.letter(case, days_ago=20)
    factories.payment(case, amount_cents=15_000, received_on=MORNING.date() - timedelta(days=3))
    record_promises(case, [Instalment(30_000, MORNING.date() + timedelta(days=7))], actor=None)
    db_session.commit()
    return case


def _statements_while_reading(app, do) -> list[tuple[str, str]]:
    """Run `do()`; return the statements run inside a `reading_once()` block, with their parameters."""
    seen: list[tuple[str, str]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if g.get("_page_reads") is not None:
            seen.append((statement, repr(parameters)))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        do()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return seen


@pytest.mark.parametrize("role", ["collector", "manager", "client"])
def test_the_case_page_asks_nothing_twice(app, client, db_session, login_as, clock, role):
    case = _busy_case(db_session)
    login_as(role, client_row=case.client if role == "client" else None)
    pages = []
    seen = _statements_while_reading(app, lambda: pages.append(client.get(f"/cases/{case.id}")))
    assert pages[0].status_code == 200
    page = pages[0].get_data(as_text=True)
    assert 'data-testid="history"' in page and "300,00" in page  # the promise, as every panel saw it
    repeated = {statement.split(" FROM ")[0][:80]: n for (statement, _), n in Counter(seen).items() if n > 1}
    assert repeated == {}
    # 65 for a collector, 69 for a manager (the assign form), 33 for a client user when written; a new panel adds
    # its own, but a reader asked by every panel again would add dozens.
    assert len(seen) <= (40 if role == "client" else 75), len(seen)


def test_a_call_refused_by_the_hour_shows_the_page_again_with_it(app, client, db_session, login_as):
    """A POST that writes renders the page afterwards: the page's reads start then, and see what it wrote."""
    with time_machine.travel(MORNING.replace(hour=22, minute=30), tick=False):
        case = _busy_case(db_session)
        login_as("collector")
        token = csrf_token(client, f"/cases/{case.id}")
        refused = client.post(f"/cases/{case.id}/call",
                              data={"csrf_token": token, "outcome": "no_answer", "note": "Rappeler demain"})
    assert refused.status_code == 409
    history = refused.get_data(as_text=True).split('data-testid="history"', 1)[1]
    assert 'data-testid="blocked"' in history and "Rappeler demain" in refused.get_data(as_text=True)


def test_nothing_is_remembered_outside_a_page(app, db_session):
    case = factories.case(amounts=(50_000,))
    db_session.commit()
    before = ledger.balance(case.id)
    ledger.post_entry(case, EntryKind.COST, 2_500, date(2026, 12, 1), description="Frais")
    db_session.flush()
    assert ledger.balance(case.id).outstanding == before.outstanding + 2_500


def test_inside_a_page_one_answer_is_shared_and_forgotten_after(app):
    calls: list[int] = []

    @read_once(key=lambda n, moment: n)
    def square(n: int, moment: float) -> int:
        calls.append(n)
        return n * n

    with app.test_request_context("/cases/1"):
        with reading_once():
            assert (square(3, 0.1), square(3, 0.2), square(4, 0.3)) == (9, 9, 16)
            with reading_once():  # a nested block shares the outer memory, and leaves it in place
                assert square(3, 0.4) == 9
            assert square(4, 0.5) == 16
        assert calls == [3, 4]
        assert square(3, 0.6) == 9  # the block is over: asked again
        assert calls == [3, 4, 3]
