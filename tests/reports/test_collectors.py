"""Collector performance: figures per collector and day, week, month, computed by hand; the CSV equals the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from agency.models import AuditEvent
from cases.models import Action, Promise
from money.payments.payments import reverse_payment
from reports.collectors import Grain, collector_performance
from tests import factories

JUNE_1, JUNE_30 = date(2026, 6, 1), date(2026, 6, 30)


def _at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _action(case, user, done_at, kind="call", outcome="", status="done"):
    channel = {"call": "phone", "note": "internal"}[kind]
    action = Action(case=case, kind=kind, channel=channel, status=status, outcome=outcome, user_id=user.id,
                    done_at=done_at if status == "done" else None, created_at=done_at)
    factories.db.session.add(action)


def _promise(case, user, created_at, due_on, status):
    factories.db.session.add(Promise(case=case, amount_cents=1_000, due_on=due_on, status=status,
                                     created_by_id=user.id, created_at=created_at))


@pytest.fixture
def team(db_session):
    """Two collectors; case Y moved from Anne to Bruno on 10 June, a payment before and one after."""
    anne = factories.user("collector", name="Anne Martin")
    bruno = factories.user("collector", name="Bruno Petit")
    manager = factories.user("manager")
    x = factories.case(amounts=(100_000,))
    y = factories.case(amounts=(100_000,))
    x.assigned_collector_id = anne.id
    y.assigned_collector_id = bruno.id
    factories.db.session.add(AuditEvent(action="case.reassigned", actor=manager, actor_label=manager.email,
                                        subject_type="collection_case", subject_id=y.id, client_id=y.client_id,
                                        before={"assigned_collector_id": anne.id},
                                        after={"assigned_collector_id": bruno.id}, created_at=_at(6, 10, 9)))
    _action(x, anne, _at(6, 2, 8), outcome="no_answer")
    _action(x, anne, _at(6, 2, 12), outcome="right_party")
    _action(y, anne, _at(6, 2, 13), kind="note")
    _action(x, anne, _at(6, 3, 9), status="blocked")  # refused by the rules: not work done
    _action(x, anne, _at(6, 9, 9), outcome="promise")
    _action(x, anne, _at(6, 30, 22, 30), outcome="no_answer")  # 1 July in Paris: outside the period
    _action(y, bruno, _at(5, 31, 22, 30), outcome="no_answer")  # 1 June in Paris: inside
    _action(y, bruno, _at(6, 20, 10), outcome="refused")
    _promise(x, anne, _at(6, 9, 9), date(2026, 6, 15), "kept")
    _promise(x, anne, _at(6, 9, 9), date(2026, 6, 20), "broken")
    _promise(y, bruno, _at(6, 20, 10), date(2026, 7, 5), "kept")  # kept after the period: obtained only
    paid_x = factories.payment(x, 5_000, received_on=date(2026, 6, 15), receipt=False)
    factories.payment(y, 3_000, received_on=date(2026, 6, 5), receipt=False)  # Anne's case then
    factories.payment(y, 2_000, received_on=date(2026, 6, 25), receipt=False)  # Bruno's
    reverse_payment(paid_x, reason="Chèque impayé", on=date(2026, 6, 26), actor=manager)
    db_session.commit()
    return {"anne": anne, "bruno": bruno}


def _figures(line):
    f = line.figures
    return (f.cases_worked, f.calls, f.right_party, f.promises, f.promises_kept, f.collected_cents)


def test_whole_period_per_collector(team):
    performance = collector_performance(JUNE_1, JUNE_30, Grain.WEEK)
    totals = {line.name: _figures(line) for line in performance.totals}
    # Anne: cases X and Y; 3 calls, 2 conversations; 2 promises, 1 kept; 5 000 + 3 000 − 5 000 reversed.
    # Bruno: case Y; 2 calls, 1 conversation (refused); 1 promise, none kept in June; 2 000.
    assert totals == {"Anne Martin": (2, 3, 2, 2, 1, 3_000), "Bruno Petit": (1, 2, 1, 1, 0, 2_000)}


def test_week_by_week(team):
    lines = {(line.name, line.start): _figures(line) for line in collector_performance(JUNE_1, JUNE_30, Grain.WEEK).lines}
    assert lines == {
        ("Anne Martin", date(2026, 6, 1)): (2, 2, 1, 0, 0, 3_000),
        ("Anne Martin", date(2026, 6, 8)): (1, 1, 1, 2, 0, 0),
        ("Anne Martin", date(2026, 6, 15)): (0, 0, 0, 0, 1, 5_000),
        ("Anne Martin", date(2026, 6, 22)): (0, 0, 0, 0, 0, -5_000),
        ("Bruno Petit", date(2026, 6, 1)): (1, 1, 0, 0, 0, 0),
        ("Bruno Petit", date(2026, 6, 15)): (1, 1, 1, 1, 0, 0),
        ("Bruno Petit", date(2026, 6, 22)): (0, 0, 0, 0, 0, 2_000),
    }


def test_day_and_month(team):
    days = {(line.name, line.start): _figures(line) for line in collector_performance(JUNE_1, JUNE_30).lines}
    assert days[("Anne Martin", date(2026, 6, 2))] == (2, 2, 1, 0, 0, 0)
    assert days[("Bruno Petit", date(2026, 6, 1))] == (1, 1, 0, 0, 0, 0)
    assert ("Anne Martin", date(2026, 6, 3)) not in days
    months = collector_performance(JUNE_1, JUNE_30, Grain.MONTH).lines
    assert {(line.name, line.start): _figures(line) for line in months} == {
        ("Anne Martin", JUNE_1): (2, 3, 2, 2, 1, 3_000), ("Bruno Petit", JUNE_1): (1, 2, 1, 1, 0, 2_000)}


def test_page_and_csv_agree(team, client, login_as):
    login_as("manager")
    query = "from=2026-06-01&to=2026-06-30&by=week"
    html = client.get(f"/reports/collectors?{query}").get_data(as_text=True)
    assert "Performance des chargés de recouvrement" in html
    screen = sorted(int(c) for c in re.findall(r'data-field="collected" data-cents="(-?\d+)"', html))
    text = client.get(f"/reports/collectors.csv?{query}").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][2] == "Dossiers travaillés"
    assert sorted(int(line[-1].replace(",", "")) for line in lines[1:]) == screen
    assert ["Toute la période", "Anne Martin", "2", "3", "2", "2", "1", "30,00"] in lines


def test_bad_period_is_named(db_session, client, login_as):
    login_as("manager")
    response = client.get("/reports/collectors?from=2026-07-01&to=2026-06-01")
    assert response.status_code == 400
    assert "la période doit commencer avant de finir" in response.get_data(as_text=True)
    assert client.get("/reports/collectors?by=year").status_code == 400
