"""The strategy's letter steps ask the order of letters: a step out of order is skipped, saying why."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from cases.actions import case_history
from cases.letters.letters import record_sent_letter
from cases.models import Action, Letter, Promise
from cases.work.strategy import run_step
from money.plans.plans import propose_plan, split
from tests import factories
from tests.cases.work.conftest import TUESDAY_11

DAY = timedelta(days=1)
TODAY = TUESDAY_11.date()  # 24 November 2026


@pytest.fixture
def case(db_session, agency_ready, time_machine):
    time_machine.move_to(TUESDAY_11, tick=False)
    debtor = factories.debtor()
    factories.contact(debtor, "address", "", address_line1="12 rue des Lilas", postcode="69003", city="Lyon")
    row = factories.case(debtor_row=debtor, opened_on=TODAY - 90 * DAY, amounts=(80_000,))
    row.status = "active"
    db_session.flush()
    return row


def step(case, number: int, kind: str = "letter") -> Action:
    action = Action(case=case, kind=kind, channel="post", status="scheduled", strategy_step=number,
                    scheduled_at=TUESDAY_11, created_at=TUESDAY_11)
    db.session.add(action)
    db.session.flush()
    return action


def sent(case, kind: str, days_ago: int) -> Letter:
    return record_sent_letter(case, kind, TODAY - days_ago * DAY, actor=None)


def pending_promise(case) -> None:
    # Whatever the case's status says, a running promise stops every demand.
    db.session.add(Promise(case=case, amount_cents=20_000, due_on=TODAY + 10 * DAY, status="pending"))


def running_plan(case) -> None:
    propose_plan(case, instalments=split(80_000, 2, TODAY + 5 * DAY), total_cents=80_000, actor=None)
    case.status = "active"  # as above: the plan itself is what the rule reads


SITUATIONS = {
    "second_first_notice": (1, "letter", lambda c: sent(c, "first_notice", 40), "first_notice_sent"),
    "reminder_before_deadline": (4, "letter", lambda c: sent(c, "first_notice", 10), "first_notice_deadline"),
    "formal_notice_before_deadline": (
        7, "formal_notice", lambda c: (sent(c, "first_notice", 40), sent(c, "reminder", 3)), "last_letter_deadline"),
    "first_notice_during_promise": (1, "letter", pending_promise, "promise_running"),
    "reminder_during_plan": (4, "letter", lambda c: (sent(c, "first_notice", 40), running_plan(c)), "plan_running"),
}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_a_letter_step_out_of_order_is_skipped_and_says_why(case, db_session, situation):
    number, kind, setup, rule = SITUATIONS[situation]
    setup(case)
    action = step(case, number, kind)
    letters_before = db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id))

    assert run_step(action, now=TUESDAY_11) == "skipped"
    assert (action.status, action.reason) == ("cancelled", rule)
    assert action.note  # the rule's explanation, shown in the case's history
    assert db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == letters_before
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == f"action.{kind}",
                                                           AuditEvent.subject_id == case.id)).all()[-1]
    assert (event.after["status"], event.after["reason"]) == ("cancelled", rule)
    assert run_step(action, now=TUESDAY_11) == "skipped"  # a retry does nothing more


def test_a_reminder_step_goes_once_the_first_notices_deadline_passed(case, db_session):
    first = sent(case, "first_notice", 16)  # gave until yesterday
    action = step(case, 4)
    assert run_step(action, now=TUESDAY_11) == "letter"
    letter = db_session.scalars(sa.select(Letter).where(Letter.case_id == case.id, Letter.id != first.id)).one()
    assert (letter.kind, letter.status, letter.first_notice_id) == ("reminder", "issued", first.id)


def test_a_recorded_first_notice_is_the_one_later_letters_repeat(case):
    first = sent(case, "first_notice", 40)
    assert (first.status, first.pay_by, first.file_path) == ("recorded", date(2026, 10, 30), "")
    assert first.principal_cents == 80_000 and first.recipient["lines"][-1] == "69003 LYON"


def test_a_recorded_letter_shows_in_the_clients_history(case):
    letter = sent(case, "first_notice", 40)
    action = step(case, 1)
    action.status, action.done_at, action.letter_id = "done", TUESDAY_11, letter.id
    db.session.flush()
    assert action in case_history(case, internal=False)
