"""Alerts are dated by their event and listed most serious first; a pool nobody works raises one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from agency.db import utcnow
from alerts.inbox import acknowledge
from alerts.models import AlertKind
from alerts.rules import fire_alerts
from cases.work.disputes import open_dispute
from cases.work.promises import Instalment, record_promises, resolve_due_promises
from tests import factories
from tests.alerts.conftest import alerts_of
from tests.cases.queue.helpers import queued_case

# Monday 7 December 2026, 10:00 in Paris.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def events(db_session, creditors, time_machine):
    """One occurrence of each case rule, each event on a day of its own before the rules run on Monday."""
    mine = creditors[0]
    mine.mandates[0].remittance_delay_days = 20
    held = factories.case(client_row=mine, amounts=(900_000,))
    promised = factories.case(client_row=mine, amounts=(50_000,))
    disputed = factories.case(client_row=mine)

    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    record_promises(promised, [Instalment(5_000, date(2026, 12, 4))], actor=None)
    # Sunday 6 December at 00:30 in Paris is still Saturday 5 December in UTC: the day is the agency's.
    time_machine.move_to(datetime(2026, 12, 5, 23, 30, tzinfo=UTC))
    open_dispute(disputed, actor=None, reason="Facture contestée")

    time_machine.move_to(MONDAY)
    factories.payment(held, 30_000, received_on=date(2026, 11, 10), receipt=False)  # held 27 days > 20
    factories.payment(held, 600_000, received_on=date(2026, 12, 3), receipt=False)  # large, within the delay
    resolve_due_promises(date(2026, 12, 7))  # the promise of Friday 4 is found broken on Monday
    fire_alerts()
    return {a.kind: a for a in alerts_of()}


def test_each_alert_is_dated_by_its_event_not_by_the_run(events):
    assert {kind: alert.occurred_on for kind, alert in events.items()} == {
        AlertKind.FUNDS_AGED: date(2026, 11, 10),  # the day the money came in
        AlertKind.LARGE_PAYMENT: date(2026, 12, 3),
        AlertKind.PROMISE_BROKEN: date(2026, 12, 4),  # the day the debtor did not pay
        AlertKind.DISPUTE_OPENED: date(2026, 12, 6),
    }
    assert {alert.fired_on for alert in events.values()} == {date(2026, 12, 7)}


def test_open_alerts_come_most_serious_first(events, client, login_as):
    order = [AlertKind.FUNDS_AGED, AlertKind.PROMISE_BROKEN, AlertKind.DISPUTE_OPENED, AlertKind.LARGE_PAYMENT]
    login_as("manager")
    page = client.get("/alerts/").get_data(as_text=True)
    assert re.findall(r'data-testid="alert" data-kind="(\w+)"', page) == order
    row = page.split('data-kind="dispute_opened"', 1)[1].split("</tr>", 1)[0]
    assert "06/12/2026" in row and "07/12/2026" in row  # the event's day, then when it was noticed


def test_a_pool_with_due_cases_and_no_active_member_raises_an_alert(db_session, time_machine):
    time_machine.move_to(MONDAY)
    gone = factories.user("collector", active=False)
    team = factories.team("Nord", members=(gone,))
    worked = factories.team("Sud", members=(factories.user("collector"),))
    idle = factories.team("Est")  # nobody, but nothing due either
    queued_case(team=team, due=datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    queued_case(team=team, due=utcnow() - timedelta(hours=1))
    queued_case(team=worked, due=utcnow() - timedelta(hours=1))
    queued_case(team=idle, due=utcnow() + timedelta(days=2))

    assert fire_alerts()[AlertKind.POOL_UNATTENDED] == 1
    assert fire_alerts()[AlertKind.POOL_UNATTENDED] == 0  # the same spell fires once
    (alert,) = alerts_of(AlertKind.POOL_UNATTENDED)
    assert (alert.subject_id, alert.team_id, alert.client_id) == (team.id, team.id, None)
    assert alert.occurred_on == date(2026, 12, 4)  # since its oldest due case fell due

    manager = factories.user("manager")
    acknowledge([alert.id], actor=manager)
    assert fire_alerts()[AlertKind.POOL_UNATTENDED] == 0  # acknowledged, still the same spell

    camille = factories.user("collector")
    camille.teams.append(team)
    assert fire_alerts()["cleared"] == 1  # worked again: the spell is over
    camille.active = False
    assert fire_alerts()[AlertKind.POOL_UNATTENDED] == 1  # unattended again: a new spell, a new alert
    assert [a.is_open for a in alerts_of(AlertKind.POOL_UNATTENDED)] == [False, True]
