"""The daily judicial run: silence decides on the day after its deadline, next deadlines, alerts before them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from alerts.models import Alert, AlertKind, judicial_deadline_of, judicial_subject
from alerts.rules import fire_alerts
from cases.judicial import deadlines
from cases.judicial.daily import Figures, next_of, read_rows, run_daily
from cases.judicial.jobs import judicial_daily_job
from cases.judicial.proceedings import approve_by_manager, decide_by_client, propose
from cases.judicial.steps import TitleValues, record_step
from cases.models import CaseStatus, Proceeding, Route, Stage, StepKind
from tests import factories
from tests.cases.judicial.helpers import ready_case

TITLE = TitleValues(court="Tribunal de commerce de Lyon", number="2026/1234", principal_cents=900_000)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def approved(route: Route | None = None, *, on: date = date(2026, 6, 1), **case) -> Proceeding:
    """A proceeding both approved on `on` (its formal notice's deadline a month before)."""
    case_row = ready_case(notice_on=on - timedelta(days=45), pay_by=on - timedelta(days=30), **case)
    proceeding = propose(case_row, actor=None, on=on)
    reason = "Choix du service contentieux." if route and route != proceeding.route else ""
    approve_by_manager(proceeding, actor=factories.user("manager"), route=route, reason=reason, on=on)
    decide_by_client(proceeding, actor=factories.user("client", client=case_row.client), approve=True, on=on)
    return proceeding


def order_issued(issued_on: date) -> Proceeding:
    proceeding = approved(Route.ORDER_COMMERCIAL, kind="b2b", debtor_kind="company", amounts=(900_000,),
                          on=issued_on - timedelta(days=20))
    record_step(proceeding, StepKind.FILED, issued_on - timedelta(days=10), actor=None)
    record_step(proceeding, StepKind.ORDER_ISSUED, issued_on, actor=None, title=TITLE)
    return proceeding


def invited(invited_on: date) -> Proceeding:
    proceeding = approved(on=invited_on - timedelta(days=5))
    assert proceeding.route == Route.SMALL_CLAIMS
    record_step(proceeding, StepKind.INVITATION_SENT, invited_on, actor=None)
    return proceeding


def test_an_unanswered_invitation_is_declined_the_day_after_the_month_not_on_its_last_day(db_session, time_machine):
    proceeding = invited(date(2026, 10, 31))
    assert (proceeding.next_deadline_kind, proceeding.next_deadline_on) == ("answer_by", date(2026, 11, 30))

    assert run_daily(date(2026, 11, 30)).declined == 0  # the debtor may still answer on the last day
    assert proceeding.stage == Stage.INVITED
    time_machine.move_to("2026-12-01 06:00:00+01:00", tick=False)
    assert judicial_daily_job() == {"declined": 1, "lapsed": 0, "refreshed": 0}

    db.session.refresh(proceeding)
    step = proceeding.steps[-1]
    assert (step.kind, step.occurred_on, step.created_by_id) == ("debtor_declined", date(2026, 12, 1), None)
    assert "silence" in step.note
    assert proceeding.stage == Stage.DECLINED and proceeding.next_deadline_on is None
    assert proceeding.case.status != CaseStatus.ESCALATED  # back with the agency
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "judicial.debtor_declined"))
    assert event.actor_id is None and event.after["on"] == "2026-12-01"
    assert judicial_daily_job() == {"declined": 0, "lapsed": 0, "refreshed": 0}  # a second run does nothing


def test_a_run_that_missed_days_still_dates_the_refusal_the_day_after_the_deadline(db_session):
    proceeding = invited(date(2026, 10, 31))
    run_daily(date(2026, 12, 6))
    assert proceeding.steps[-1].occurred_on == date(2026, 12, 1)


@pytest.mark.parametrize(("issued_on", "serve_by"), [
    (date(2026, 8, 31), date(2027, 2, 28)),  # six months for an order issued before 1 September 2026
    (date(2026, 9, 1), date(2026, 12, 1)),  # three months from 1 September 2026
])
def test_an_order_not_served_in_time_lapses_the_day_after_its_deadline(db_session, issued_on, serve_by):
    proceeding = order_issued(issued_on)
    assert (proceeding.next_deadline_kind, proceeding.next_deadline_on) == ("serve_by", serve_by)

    assert run_daily(serve_by).lapsed == 0
    assert proceeding.stage == Stage.ORDER_ISSUED
    assert run_daily(serve_by + timedelta(days=1)).lapsed == 1
    step = proceeding.steps[-1]
    assert (step.kind, step.occurred_on, step.created_by_id) == ("lapsed", serve_by + timedelta(days=1), None)
    assert proceeding.stage == Stage.LAPSED and proceeding.next_deadline_on is None


def test_an_order_served_in_time_does_not_lapse_and_its_next_deadline_moves_on(db_session):
    proceeding = order_issued(date(2026, 9, 1))
    record_step(proceeding, StepKind.SERVED, date(2026, 10, 15), actor=None, on=date(2026, 10, 15))
    assert (proceeding.next_deadline_kind, proceeding.next_deadline_on) == ("opposition_until", date(2026, 11, 15))

    assert run_daily(date(2026, 11, 15)).refreshed == 0
    counts = run_daily(date(2026, 11, 16))
    assert (counts.lapsed, counts.refreshed) == (0, 1)
    assert (proceeding.next_deadline_kind, proceeding.next_deadline_on) == ("enforceable_from", date(2026, 12, 15))
    assert proceeding.stage == Stage.SERVED


def test_the_set_based_deadlines_are_those_of_the_model(db_session):
    """`daily.next_of` keeps the rules of `deadlines.next_deadline`, stage by stage and on either side of a date."""
    served = order_issued(date(2026, 9, 1))
    record_step(served, StepKind.SERVED, date(2026, 10, 15), actor=None)
    enforceable = order_issued(date(2026, 9, 2))
    record_step(enforceable, StepKind.SERVED, date(2026, 9, 20), actor=None)
    record_step(enforceable, StepKind.ENFORCEABLE, date(2026, 11, 20), actor=None)
    others = [order_issued(date(2026, 9, 3)), invited(date(2026, 11, 2)), approved()]
    db.session.flush()
    rows = {row.id: row for row in read_rows()}
    for day in (date(2026, 11, 15), date(2026, 11, 16), date(2026, 12, 20), date(2027, 3, 1)):
        for proceeding in (served, enforceable, *others):
            expected = deadlines.next_deadline(proceeding, day) if proceeding.stage != "preparing" else None
            found = next_of(rows[proceeding.id], day, Figures()) if proceeding.id in rows else None
            assert found == expected, (proceeding.stage, day)


def test_a_closed_proceeding_loses_a_stale_deadline(db_session):
    proceeding = invited(date(2026, 11, 20))
    db.session.execute(sa.update(Proceeding).where(Proceeding.id == proceeding.id)
                       .values(stage=Stage.PAID.value))  # as if closed by a path that forgot its deadline
    assert run_daily(date(2026, 12, 7)).refreshed == 1
    db.session.refresh(proceeding)
    assert proceeding.next_deadline_on is None and proceeding.next_deadline_kind == ""


def judicial_alerts() -> list[tuple[str, int, date]]:
    rows = db.session.scalars(sa.select(Alert).where(Alert.kind == AlertKind.JUDICIAL_DEADLINE.value)
                              .order_by(Alert.id))
    return [(*judicial_deadline_of(a.subject_id), a.occurred_on) for a in rows]


def test_alerts_fire_once_at_30_7_and_1_days_before_a_deadline(db_session):
    proceeding = order_issued(date(2026, 9, 1))  # to serve by 1 December 2026
    assert fire_alerts(today=date(2026, 10, 31))[AlertKind.JUDICIAL_DEADLINE] == 0  # 31 days before
    assert fire_alerts(today=date(2026, 11, 1))[AlertKind.JUDICIAL_DEADLINE] == 1  # 30 days before
    assert fire_alerts(today=date(2026, 11, 2))[AlertKind.JUDICIAL_DEADLINE] == 0  # once
    assert fire_alerts(today=date(2026, 11, 23))[AlertKind.JUDICIAL_DEADLINE] == 0  # 8 days before
    assert fire_alerts(today=date(2026, 11, 24))[AlertKind.JUDICIAL_DEADLINE] == 1  # 7 days before
    assert fire_alerts(today=date(2026, 11, 29))[AlertKind.JUDICIAL_DEADLINE] == 0
    assert fire_alerts(today=date(2026, 11, 30))[AlertKind.JUDICIAL_DEADLINE] == 1  # the day before
    assert fire_alerts(today=date(2026, 12, 1))[AlertKind.JUDICIAL_DEADLINE] == 0
    assert judicial_alerts() == [("serve_by", n, date(2026, 12, 1)) for n in (30, 7, 1)]
    alert = db.session.scalar(sa.select(Alert).where(Alert.subject_id == judicial_subject(proceeding.id, "serve_by", 1)))
    assert (alert.case_id, alert.client_id, alert.amount_cents) == (proceeding.case_id, proceeding.client_id, 900_000)


def test_a_deadline_first_seen_within_a_week_fires_only_the_tightest_alert_and_clears_once_met(db_session):
    proceeding = invited(date(2026, 11, 9))  # the debtor's answer is due by 9 December
    assert fire_alerts(today=date(2026, 12, 7))[AlertKind.JUDICIAL_DEADLINE] == 1
    assert judicial_alerts() == [("answer_by", 7, date(2026, 12, 9))]
    record_step(proceeding, StepKind.DEBTOR_ACCEPTED, date(2026, 12, 7), actor=None)
    assert fire_alerts(today=date(2026, 12, 7))["cleared"] == 1  # answered: the alert ends by itself


def test_the_alert_days_are_the_figure_in_force(db_session):
    from cases.judicial import settings

    settings.add_value("alert_days", "14", date(2026, 11, 1), source="", actor=factories.user("admin"))
    order_issued(date(2026, 9, 1))  # to serve by 1 December 2026
    assert fire_alerts(today=date(2026, 11, 1))[AlertKind.JUDICIAL_DEADLINE] == 0
    assert fire_alerts(today=date(2026, 11, 17))[AlertKind.JUDICIAL_DEADLINE] == 1
    assert judicial_alerts() == [("serve_by", 14, date(2026, 12, 1))]
