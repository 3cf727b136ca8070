"""The order of letters (cases.letters.sequence): the rules, and the collector's buttons that ask them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.models import AuditEvent
from cases.letters.letters import LetterOutOfOrder, create_letter
from cases.letters.sequence import letter_allowed
from cases.models import Action, Letter
from cases.work.promises import Instalment, record_promises
from money.plans.plans import propose_plan, split
from tests import factories
from tests.conftest import csrf_token

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # the first notice's day: it gives until 17 November
DAY = timedelta(days=1)


@pytest.fixture
def case(db_session, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    factories.agency_profile()
    row = factories.case(amounts=(120_000,))
    factories.postal_address(row.debtor)
    db_session.flush()
    return row


def letters(case) -> list[tuple[str, str]]:
    return [(letter.kind, letter.status) for letter in
            Letter.query.filter(Letter.case_id == case.id).order_by(Letter.id)]


def promise(case) -> None:
    record_promises(case, [Instalment(50_000, today() + 10 * DAY)], actor=None)


def plan(case) -> None:
    propose_plan(case, instalments=split(120_000, 3, today() + 5 * DAY), total_cents=120_000, actor=None)


# --- the rules -------------------------------------------------------------------------------------


def test_a_case_never_gets_a_second_first_notice(case):
    first = create_letter(case, "first_notice", actor=None)
    decision = letter_allowed(case, "first_notice", today() + 100 * DAY)
    assert (decision.allowed, decision.reason, decision.overridable) == (False, "first_notice_sent", False)
    assert first.reference in decision.explanation
    with pytest.raises(LetterOutOfOrder):  # not even with a reason
        create_letter(case, "first_notice", actor=None, override_reason="Le débiteur l'a perdue")
    assert letters(case) == [("first_notice", "issued")]


def test_a_reminder_waits_for_the_first_notices_deadline(case, time_machine):
    create_letter(case, "first_notice", actor=None)
    refused = letter_allowed(case, "reminder", date(2026, 11, 17))  # the last day given to pay
    assert (refused.allowed, refused.reason, refused.overridable) == (False, "first_notice_deadline", True)
    assert "17 nov. 2026" in refused.explanation and "18 nov. 2026" in refused.explanation
    assert letter_allowed(case, "reminder", date(2026, 11, 18)).allowed
    with pytest.raises(LetterOutOfOrder):
        create_letter(case, "reminder", actor=None)
    time_machine.move_to(MONDAY + 16 * DAY, tick=False)
    assert create_letter(case, "reminder", actor=None).kind == "reminder"


def test_a_formal_notice_waits_for_the_last_letters_deadline(case, time_machine):
    assert letter_allowed(case, "formal_notice", today()).reason == "no_first_notice"
    create_letter(case, "first_notice", actor=None)
    time_machine.move_to(MONDAY + 16 * DAY, tick=False)  # 18 November: the first notice's deadline passed
    assert letter_allowed(case, "formal_notice", today()).allowed
    reminder = create_letter(case, "reminder", actor=None)  # gives until 26 November
    refused = letter_allowed(case, "formal_notice", today())
    assert (refused.reason, refused.overridable) == ("last_letter_deadline", True)
    assert reminder.reference in refused.explanation and "27 nov. 2026" in refused.explanation
    assert letter_allowed(case, "formal_notice", date(2026, 11, 27)).allowed


@pytest.mark.parametrize("running, code", [(promise, "promise_running"), (plan, "plan_running")])
def test_no_demand_for_payment_while_a_promise_or_a_plan_runs(case, running, code):
    factories.letter(case, days_ago=30)  # its deadline has long passed
    assert letter_allowed(case, "reminder", today()).allowed
    running(case)
    for kind in ("reminder", "formal_notice"):
        decision = letter_allowed(case, kind, today())
        assert (decision.allowed, decision.reason, decision.overridable) == (False, code, True)
    fresh = factories.case(client_row=case.client, debtor_row=case.debtor, amounts=(120_000,))
    running(fresh)
    for kind in ("first_notice", "reminder"):  # no first notice yet: a reminder would be the first notice
        decision = letter_allowed(fresh, kind, today())
        assert (decision.kind, decision.reason) == ("first_notice", code)


def test_a_broken_promise_no_longer_stops_letters(case):
    promise(case)
    case.promises[0].status = "broken"
    assert letter_allowed(case, "first_notice", today()).allowed


# --- the collector's buttons -------------------------------------------------------------------------


def post_letter(client, case, **data):
    page = f"/cases/{case.id}"
    return client.post(f"/cases/{case.id}/letters", data={"csrf_token": csrf_token(client, page), **data})


SITUATIONS = {
    # kind asked, what makes it out of order, the rule
    "reminder_before_deadline": ("reminder", lambda c: factories.letter(c, days_ago=5), "first_notice_deadline"),
    "formal_notice_before_deadline": ("formal_notice", lambda c: factories.letter(c, days_ago=3),
                                      "last_letter_deadline"),
    "first_notice_during_promise": ("first_notice", promise, "promise_running"),
    "reminder_during_plan": ("reminder", lambda c: (factories.letter(c, days_ago=30), plan(c)), "plan_running"),
}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_the_collector_is_warned_refused_without_a_reason_and_allowed_with_one(
    client, db_session, login_as, case, situation
):
    kind, setup, rule = SITUATIONS[situation]
    setup(case)
    db_session.commit()
    before = letters(case)
    collector = login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    warning = page.split(f'data-testid="letter-out-of-order" data-kind="{kind}"')[1].split("</details>")[0]
    explanation = letter_allowed(case, kind, today()).explanation
    assert explanation.split(":")[0] in warning and 'name="reason"' in warning

    response = post_letter(client, case, kind=kind)
    assert response.status_code == 302
    assert letters(case) == before  # nothing sent, nothing half-done
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Aucun courrier envoyé" in page and "indiquez pourquoi" in page

    reason = "Le débiteur a demandé un nouveau courrier pour son comptable."
    assert post_letter(client, case, kind=kind, reason=reason).status_code == 302
    db_session.expire_all()
    sent = Letter.query.filter(Letter.case_id == case.id).order_by(Letter.id.desc()).first()
    assert len(letters(case)) == len(before) + 1 and sent.created_by_id == collector.id
    action = db_session.scalars(sa.select(Action).where(Action.letter_id == sent.id)).one()
    assert reason in action.note and explanation.split(":")[0] in action.note
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "letter.order_overridden",
                                                           AuditEvent.subject_id == sent.id)).one()
    assert (event.actor_id, event.after["reason"], event.after["rules"]) == (collector.id, reason, rule)
    history = client.get(f"/cases/{case.id}").get_data(as_text=True).split('data-testid="history"')[1]
    assert reason in history


def test_the_collector_cannot_send_a_second_first_notice_even_with_a_reason(client, db_session, login_as, case):
    factories.letter(case, days_ago=40)
    db_session.commit()
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-kind="first_notice"' not in page
    post_letter(client, case, kind="first_notice", reason="Encore une fois")
    assert letters(case) == [("first_notice", "issued")]
    assert "un dossier n’en a qu’un" in client.get(f"/cases/{case.id}").get_data(as_text=True)
