"""Alerts 90 and 30 days before a claim's limitation date, each once; the queue raises such cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.db import db, utcnow
from alerts.models import Alert
from alerts.rules import clear_ended, fire_limitations
from cases.closing.limitation import refresh_limitations
from cases.models import Case
from cases.queue.queue import LIMITATION_NEAR, explain_score, refresh_scores
from tests import factories
from tests.cases.closing.limitation_helpers import TODAY, case_due, step

DAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)


def alerts(case: Case) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.kind == "limitation", Alert.case_id == case.id)
                                   .order_by(Alert.id)))


def run(day: date) -> int:
    refresh_limitations(day)
    return fire_limitations(day, utcnow())


def test_alerts_fire_at_90_then_30_days_once_each(db_session):
    case = case_due(date(2025, 3, 6))  # limitation 6 March 2027: 89 days ahead
    far = case_due(date(2025, 3, 8))  # 91 days ahead: not yet
    run(DAY)
    assert run(DAY) == 0
    [first] = alerts(case)
    assert (first.occurred_on, first.subject_id % 10, first.amount_cents) == (date(2027, 3, 6), 1, 50_000)
    assert alerts(far) == []
    assert run(date(2027, 2, 3)) >= 1  # 31 days ahead: the 90-day alert only, already fired
    assert len(alerts(case)) == 1
    run(date(2027, 2, 4))  # 30 days ahead
    assert [a.subject_id % 10 for a in alerts(case)] == [1, 2]
    run(date(2027, 2, 20))  # the other claim fires its own 30-day alert; this one nothing more
    assert len(alerts(case)) == 2


def test_an_alert_first_seen_within_30_days_fires_the_30_day_one_only(db_session):
    case = case_due(date(2024, 12, 27))  # 20 days ahead
    run(DAY)
    assert [a.subject_id % 10 for a in alerts(case)] == [2]


def test_an_interrupted_claim_clears_its_alert_and_a_paid_one_fires_none(db_session):
    case = case_due(date(2025, 2, 1))
    run(DAY)
    assert len(alerts(case)) == 1
    step(case, "served", date(2026, 12, 1))
    refresh_limitations(DAY)
    assert clear_ended([], utcnow()) >= 1
    assert alerts(case)[0].cleared_at is not None
    paid = case_due(date(2025, 2, 1), amounts=(10_000,))
    factories.payment(paid, 10_000, received_on=DAY, receipt=False)
    run(DAY)
    assert alerts(paid) == []


def test_the_queue_raises_a_case_nearing_limitation_and_says_why(db_session):
    near = case_due(date(2025, 2, 1))
    other = case_due(date(2025, 9, 1))
    refresh_limitations(DAY)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=utcnow().tzinfo)
    refresh_scores(now, [near.id, other.id])
    db.session.expire_all()
    assert near.queue_score - other.queue_score == LIMITATION_NEAR
    parts = explain_score(near, now)
    assert (parts[-1][1], "1 févr. 2027" in parts[-1][0]) == (LIMITATION_NEAR, True)
    assert sum(points for _, points in parts) == near.queue_score
    assert all(points != LIMITATION_NEAR for _, points in explain_score(other, now + timedelta(hours=1)))
