"""A prescribed claim can no longer be demanded: letters, SMS, e-mails and the strategy refuse it with the reason."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db, utcnow
from cases.letters.sequence import letter_allowed
from cases.messaging.email import send_case_email
from cases.messaging.sms import send_case_sms
from cases.models import Action
from cases.work.strategy import STEPS, run_step
from tests import factories
from tests.cases.closing.limitation_helpers import TODAY, case_due
from tests.cases.work.conftest import open_hours  # noqa: F401 (a fixture)

DAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)


def reachable(case):
    factories.contact(case.debtor, "phone", "+33612345678")
    factories.contact(case.debtor, "email", "debiteur@example.fr")
    factories.postal_address(case.debtor)
    return case


@pytest.fixture
def prescribed(db_session, open_hours):  # noqa: F811
    return reachable(case_due(date(2024, 12, 6)))  # last day 6 December 2026


@pytest.fixture
def still_due(db_session, open_hours):  # noqa: F811
    return reachable(case_due(date(2024, 12, 7)))  # last day today


@pytest.mark.parametrize("kind", ["first_notice", "reminder", "formal_notice"])
def test_letters_refuse_a_prescribed_claim_and_no_reason_lets_them_go(prescribed, kind):
    decision = letter_allowed(prescribed, kind, DAY)
    refusal = next(r for r in decision.refusals if r.code == "claim_prescribed")
    assert not decision.allowed and not decision.overridable
    assert prescribed.claims[0].invoice_number in refusal.text and "6 déc. 2026" in refusal.text


def test_letters_go_on_the_last_day(still_due):
    assert letter_allowed(still_due, "first_notice", DAY).allowed


@pytest.mark.parametrize("send", [send_case_sms, send_case_email])
def test_messages_refuse_a_prescribed_claim(prescribed, send):
    action = send(prescribed, "reminder", actor=None)
    assert (action.status, action.reason) == ("blocked", "claim_prescribed")
    assert prescribed.claims[0].invoice_number in action.note


@pytest.mark.parametrize("send", [send_case_sms, send_case_email])
def test_messages_go_while_the_claim_is_not_prescribed(still_due, send):
    assert send(still_due, "reminder", actor=None).status == "done"


def test_the_strategy_skips_its_steps_with_the_reason(prescribed):
    prescribed.status = "active"
    number = next(n for n, s in STEPS.items() if s.automatic)
    action = Action(case=prescribed, kind=STEPS[number].kind.value, channel=STEPS[number].channel.value,
                    status="scheduled", strategy_step=number)
    db.session.add(action)
    db.session.flush()
    assert run_step(action, now=utcnow()) == "skipped"
    assert (action.status, action.reason) == ("cancelled", "claim_prescribed")
    assert db.session.scalar(sa.select(sa.func.count()).where(Action.case_id == prescribed.id,
                                                              Action.status == "done")) == 0
