"""The collector's case page: incoming calls, a blocked call keeping what was typed, late callbacks, the
promises' paid column, the letters' status and the history of every event."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from cases.letters.dispatch import dispatch_state
from cases.letters.letters import approve_letter
from cases.models import Action, CallOutcome, Case, Letter, Promise
from cases.work.calls import CallReport, record_call
from cases.work.promises import Instalment, promise_lines, record_promises
from debtors.models import Hold
from money.payments.payments import reverse_payment
from money.plans.plans import propose_plan
from tests import factories
from tests.cases.work.conftest import SUNDAY_11
from tests.conftest import csrf_token

# Monday 7 December 2026, 11:00 in Paris (inside the FR calling hours) and the Sunday before, 11:00.
MONDAY_11 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SUNDAY_6_DEC_11 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def case(db_session):
    debtor = factories.debtor(first_name="Jeanne", last_name="Lefèvre")
    factories.contact(debtor, "phone", "+33612345678", label="mobile", is_primary=True)
    row = factories.case(debtor_row=debtor, amounts=(50_000,))
    row.status = "active"
    db_session.flush()
    return row


def mobile(case: Case):
    return next(cp for cp in case.debtor.contact_points if cp.kind == "phone")


# --- an incoming call ------------------------------------------------------------------------------


def test_an_incoming_call_is_recorded_outside_contact_hours_but_not_through_a_hold(case):
    outgoing = record_call(case, CallReport(CallOutcome.RIGHT_PARTY, mobile(case)), actor=None, now=SUNDAY_11)
    assert (outgoing.status, outgoing.reason) == ("blocked", "outside_hours")

    incoming = record_call(case, CallReport(CallOutcome.RIGHT_PARTY, mobile(case), incoming=True),
                           actor=None, now=SUNDAY_11)
    assert (incoming.status, incoming.direction, incoming.done_at) == ("done", "inbound", SUNDAY_11)

    db.session.add(Hold(debtor_id=case.debtor_id, kind="cease_communication", reason="Courrier du débiteur"))
    db.session.flush()
    held = record_call(case, CallReport(CallOutcome.RIGHT_PARTY, mobile(case), incoming=True),
                       actor=None, now=SUNDAY_11 + timedelta(hours=1))
    assert (held.status, held.reason) == ("blocked", "hold_cease_communication")


def test_the_call_form_records_an_incoming_call_on_a_sunday(client, login_as, case, time_machine):
    time_machine.move_to(SUNDAY_6_DEC_11, tick=False)
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": mobile(case).id, "outcome": "right_party", "incoming": "y",
        "note": "Le débiteur rappelle"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    call = db.session.scalar(sa.select(Action).where(Action.case_id == case.id, Action.kind == "call"))
    assert (call.status, call.direction, call.note) == ("done", "inbound", "Le débiteur rappelle")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="incoming"' in page.split('data-testid="history"')[1]


# --- a blocked call keeps what was typed ------------------------------------------------------------


def test_a_blocked_call_is_recorded_and_the_form_keeps_what_was_typed(client, login_as, case, time_machine):
    time_machine.move_to(SUNDAY_6_DEC_11, tick=False)
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": mobile(case).id, "outcome": "promise",
        "note": "Promet de payer vendredi", "instalments-0-amount": "150,00",
        "instalments-0-due_on": "2026-12-11"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    form = page[page.index('data-testid="call-form"'):]
    assert "Les règles de contact refusent cet appel" in form and "votre saisie est conservée" in form
    assert "Promet de payer vendredi</textarea>" in form
    assert 'value="150,00"' in form and 'value="2026-12-11"' in form
    assert re.search(r'<option selected value="promise">|<option value="promise" selected>', form)
    db.session.expire_all()
    calls = db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "call")).all()
    assert [(a.status, a.reason) for a in calls] == [("blocked", "outside_hours")]
    assert not db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id)).all()


def test_a_refused_form_shows_the_case_page_with_the_error_under_its_field(client, login_as, case, open_hours):
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": 0, "outcome": "promise", "note": "Deux fois",
        "instalments-0-amount": "douze", "instalments-0-due_on": "2030-01-10"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="case-reference"' in page and "Deux fois</textarea>" in page and 'value="douze"' in page


# --- the page: focus, the score explained, a late callback ----------------------------------------------


def test_from_the_queue_the_outcome_has_the_focus_and_the_collector_reads_why(client, login_as, case):
    login_as("collector")
    plain = client.get(f"/cases/{case.id}").get_data(as_text=True)
    queued = client.get(f"/cases/{case.id}?from=queue").get_data(as_text=True)
    outcome = re.compile(r'<select[^>]*name="outcome"[^>]*>')
    assert "autofocus" not in outcome.search(plain).group(0)
    assert "autofocus" in outcome.search(queued).group(0)
    assert 'data-testid="shortcuts"' in queued and "Raccourcis" in queued
    assert 'data-testid="score-parts"' in queued and 'id="queue-target"' not in queued  # reassigning: managers


def test_an_overdue_callback_is_marked_late(client, login_as, case, time_machine):
    time_machine.move_to(MONDAY_11, tick=False)
    case.callback_at = MONDAY_11 + timedelta(hours=3)
    db.session.commit()
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-late="no"' in page and "Rappel en retard" not in page
    time_machine.move_to(MONDAY_11 + timedelta(hours=4), tick=False)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-late="yes"' in page and "Rappel en retard" in page and 'data-testid="callback-late"' in page


# --- promises: the paid column --------------------------------------------------------------------------


def test_the_paid_column_follows_the_payments_and_a_plan_replacing_the_promise_says_so(client, login_as, case,
                                                                                      time_machine):
    time_machine.move_to(MONDAY_11, tick=False)
    record_promises(case, [Instalment(10_000, date(2026, 12, 11)), Instalment(20_000, date(2027, 1, 11))],
                    actor=None)
    assert [line.paid_cents for line in promise_lines(case)] == [0, 0]
    factories.payment(case, 15_000, received_on=date(2026, 12, 7), receipt=False)
    assert [(line.paid_cents, line.promise.status) for line in promise_lines(case)] == [
        (10_000, "pending"), (5_000, "pending")]
    db.session.commit()
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    paid = re.findall(r'data-testid="promise-paid">([^<]*)<', page)
    assert [p.replace("\u202f", " ").replace("\xa0", " ") for p in paid] == ["100,00 €", "50,00 €"]

    propose_plan(case, instalments=[(date(2027, 1, 7), 35_000)], total_cents=35_000, actor=None)
    db.session.commit()
    lines = promise_lines(case)
    assert [(line.promise.status, line.replaced_by, line.paid_cents) for line in lines] == [
        ("cancelled", "plan", 10_000), ("cancelled", "plan", 5_000)]
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("Remplacée par un échéancier") == 2


def test_a_promise_replaced_by_a_newer_one_is_not_shown(case, time_machine):
    time_machine.move_to(MONDAY_11, tick=False)
    record_promises(case, [Instalment(10_000, date(2026, 12, 11))], actor=None)
    time_machine.move_to(MONDAY_11 + timedelta(minutes=5), tick=False)
    record_promises(case, [Instalment(12_000, date(2026, 12, 18))], actor=None)
    assert [(line.promise.amount_cents, line.replaced_by) for line in promise_lines(case)] == [(12_000, "")]


# --- letters: generated until printed or sent ------------------------------------------------------------


def test_a_letter_is_generated_until_marked_printed_then_sent(client, login_as, case, agency_ready):
    letter = factories.letter(case)
    db.session.commit()
    assert dispatch_state(letter) == "generated"
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-state="generated"' in page and "Généré" in page
    token = csrf_token(client, f"/cases/{case.id}")
    url = f"/letters/{letter.id}/mark"
    assert client.post(f"{url}/printed", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert dispatch_state(db.session.get(Letter, letter.id)) == "printed"
    assert client.post(f"{url}/sent", data={"csrf_token": token}).status_code == 302
    again = client.post(f"{url}/sent", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "déjà marqué envoyé" in again
    db.session.expire_all()
    saved = db.session.get(Letter, letter.id)
    assert dispatch_state(saved) == "sent" and saved.printed_at <= saved.sent_at
    events = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.subject_type == "letter", AuditEvent.subject_id == letter.id,
        AuditEvent.action.in_(["letter.printed", "letter.sent"])).order_by(AuditEvent.id)).all()
    assert events == ["letter.printed", "letter.sent"]
    assert client.post(f"{url}/sent").status_code == 400  # no CSRF token


def test_a_client_user_cannot_mark_a_letter(client, login_as, case, agency_ready):
    letter = factories.letter(case)
    db.session.commit()
    login_as("client", client_row=case.client)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/letters/{letter.id}/mark/sent", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).sent_at is None


# --- the history -----------------------------------------------------------------------------------------


def test_the_history_shows_payments_reversals_plans_letters_and_who_approved_a_formal_notice(
        client, login_as, case, agency_ready, time_machine):
    time_machine.move_to(MONDAY_11, tick=False)
    manager = factories.user("manager", name="Marc Manager")
    notice = factories.letter(case, "formal_notice")
    approve_letter(notice, actor=manager)
    paid = factories.payment(case, 4_000, received_on=date(2026, 12, 7), receipt=False)
    reverse_payment(paid, reason="Chèque impayé", on=date(2026, 12, 7), actor=manager)
    propose_plan(case, instalments=[(date(2027, 1, 7), 20_000), (date(2027, 2, 7), 30_000)],
                 total_cents=50_000, actor=None)
    db.session.commit()
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    history = page[page.index('data-testid="history"'):]
    kinds = re.findall(r'data-event="([a-z_]+)"', history)
    assert {"payment", "reversal", "plan_proposed", "action"} <= set(kinds)
    assert notice.reference in history and "Mise en demeure" in history
    assert re.search(r'data-testid="approved-by">\s*Validée par Marc Manager', history)
    assert "Chèque impayé" in history and paid.reference in history
    assert "convenu pour 500,00" in history.replace("\u202f", " ").replace("\xa0", " ")
