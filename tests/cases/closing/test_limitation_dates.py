"""Each claim's limitation date: 2 or 5 years from its due date, restarted by each acknowledgement and judicial
act, never by a formal notice, suspended while the debtor's acceptance of small claims runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.closing.limitation import case_limitations, prescribed_refusal, refresh_limitations
from cases.models import ClaimLimitation, Letter, LetterKind, LetterStatus, Promise
from tests import factories
from tests.cases.closing.limitation_helpers import TODAY, case_due, step

DAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)


def only(case, today=DAY):
    [view] = case_limitations(case, today)
    return view


@pytest.mark.parametrize(("kind", "due", "expected"), [
    ("b2c", date(2024, 12, 7), date(2026, 12, 7)),  # L218-2: two years
    ("b2b", date(2021, 12, 7), date(2026, 12, 7)),  # L110-4: five years
    ("b2c", date(2024, 2, 29), date(2026, 2, 28)),  # no 29 February: the month's last day (CPC 641)
    ("b2b", date(2024, 2, 29), date(2029, 2, 28)),
    ("b2c", date(2026, 2, 28), date(2028, 2, 28)),
])
def test_the_period_runs_from_the_due_date(db_session, kind, due, expected):
    view = only(case_due(due, kind))
    assert (view.limitation_on, view.period_years, view.event_kind) == (expected, 2 if kind == "b2c" else 5,
                                                                         "due_date")


def test_prescribed_from_the_day_after_the_limitation_date(db_session):
    case = case_due(date(2024, 12, 7))
    assert not only(case, date(2026, 12, 7)).prescribed  # the last day: still due
    assert only(case, date(2026, 12, 8)).prescribed
    assert only(case_due(date(2021, 12, 7), "b2b"), date(2026, 12, 8)).prescribed


def test_a_paid_claim_is_not_prescribed(db_session):
    case = case_due(date(2023, 1, 10), amounts=(10_000,))
    factories.payment(case, 10_000, received_on=date(2026, 12, 7), receipt=False)
    assert not only(case).prescribed
    assert prescribed_refusal(case, DAY) is None


def test_a_promise_restarts_the_period(db_session):
    case = case_due(date(2024, 3, 1))
    promise = Promise(case=case, amount_cents=5_000, due_on=date(2025, 7, 1),
                      created_at=datetime(2025, 6, 14, 22, 30, tzinfo=UTC))  # 15 June in Paris
    db.session.add(promise)
    db.session.flush()
    view = only(case)
    assert (view.started_on, view.event_kind, view.event_id, view.limitation_on) == (
        date(2025, 6, 15), "promise", promise.id, date(2027, 6, 15))


def test_a_plan_asked_for_restarts_the_period(db_session, time_machine):
    from money.plans.plans import propose_plan

    case = case_due(date(2024, 3, 1), amounts=(60_000,))
    time_machine.move_to("2025-04-10 10:00:00+02:00", tick=False)
    plan = propose_plan(case, instalments=[(date(2025, 5, 10), 30_000), (date(2025, 6, 10), 30_000)],
                        total_cents=60_000, actor=None)
    time_machine.move_to(TODAY, tick=False)
    view = only(case)
    assert (view.event_kind, view.event_id, view.limitation_on) == ("plan", plan.id, date(2027, 4, 10))


def test_a_partial_payment_restarts_the_period_of_the_claim_it_paid(db_session):
    case = case_due(date(2024, 3, 1), amounts=(20_000, 30_000))
    payment = factories.payment(case, 5_000, received_on=date(2025, 9, 1), receipt=False)
    views = {v.invoice_number: v for v in case_limitations(case, DAY)}
    paid = [v for v in views.values() if v.event_kind == "payment"]
    untouched = [v for v in views.values() if v.event_kind == "due_date"]
    assert len(paid) == 1 and len(untouched) == 1  # the oldest first: one claim received it
    assert (paid[0].event_id, paid[0].limitation_on) == (payment.id, date(2027, 9, 1))
    assert untouched[0].limitation_on == date(2026, 3, 1) and untouched[0].prescribed


def test_a_formal_notice_does_not_interrupt(db_session):
    case = case_due(date(2024, 12, 20))
    db.session.add(Letter(case=case, client_id=case.client_id, kind=LetterKind.FORMAL_NOTICE.value,
                          status=LetterStatus.RECORDED.value, reference="MED-L-1", issued_on=date(2026, 11, 2),
                          pay_by=date(2026, 11, 17), principal_cents=50_000))
    db.session.flush()
    view = only(case)
    assert (view.event_kind, view.limitation_on) == ("due_date", date(2026, 12, 20))


@pytest.mark.parametrize("kind", ["served", "enforcement_act"])
def test_service_of_an_order_and_an_enforcement_act_interrupt(db_session, kind):
    case = case_due(date(2024, 3, 1))
    row = step(case, kind, date(2026, 1, 20))
    view = only(case)
    assert (view.event_kind, view.event_id, view.limitation_on) == (kind, row.id, date(2028, 1, 20))


def test_other_judicial_steps_do_not_interrupt(db_session):
    case = case_due(date(2024, 12, 20))
    step(case, "filed", date(2026, 6, 1))  # an order to pay interrupts from its service only
    assert only(case).limitation_on == date(2026, 12, 20)


def test_small_claims_acceptance_suspends_until_the_title(db_session):
    case = case_due(date(2024, 12, 20))
    step(case, "debtor_accepted", date(2026, 10, 1), route="small_claims")
    ongoing = only(case)
    assert ongoing.suspended_since == date(2026, 10, 1) and ongoing.suspended_days == 67
    assert ongoing.limitation_on == date(2027, 2, 25) and not ongoing.prescribed
    step(case, "title_issued", date(2026, 11, 1))
    ended = only(case)
    assert (ended.suspended_since, ended.suspended_days, ended.limitation_on) == (None, 31, date(2027, 1, 20))


def test_an_acknowledgement_after_prescription_revives_nothing(db_session):
    case = case_due(date(2023, 1, 10))
    db.session.add(Promise(case=case, amount_cents=5_000, due_on=date(2026, 1, 1),
                           created_at=datetime(2025, 6, 1, 10, tzinfo=UTC)))  # prescribed since 11 January 2025
    db.session.flush()
    view = only(case)
    assert (view.event_kind, view.limitation_on, view.prescribed) == ("due_date", date(2025, 1, 10), True)


def test_the_daily_refresh_stores_each_claim_and_rewrites_only_what_changed(db_session):
    first = case_due(date(2024, 12, 20), amounts=(10_000, 20_000))
    second = case_due(date(2022, 5, 2), "b2b")
    assert refresh_limitations(DAY) >= 3
    assert refresh_limitations(DAY) == 0
    stored = {row.claim_id: row.limitation_on for row in db.session.scalars(
        sa.select(ClaimLimitation).where(ClaimLimitation.case_id.in_([first.id, second.id])))}
    assert sorted(stored.values()) == [date(2026, 12, 20), date(2026, 12, 20), date(2027, 5, 2)]
    step(second, "served", date(2026, 12, 1))
    assert refresh_limitations(DAY, [second.id]) == 1
    assert db.session.get(ClaimLimitation, second.claims[0].id).limitation_on == date(2031, 12, 1)
