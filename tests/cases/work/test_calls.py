"""Calls: the numbers offered now, the outcome recorded, blocked calls, and the call form."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from agency.db import db, utcnow
from agency.models import AuditEvent
from cases.models import Action, CallOutcome, Case, Promise
from cases.work import WorkError
from cases.work.calls import CallReport, dial_time, phone_numbers, record_call
from cases.work.promises import Instalment
from cases.work.strategy import advance_strategy
from debtors.models import Hold
from tests import factories
from tests.cases.work.conftest import SUNDAY_11, TUESDAY_11
from tests.conftest import csrf_token


@pytest.fixture
def case(db_session):
    debtor = factories.debtor(first_name="Jeanne", last_name="Lefèvre")
    factories.contact(debtor, "phone", "+33612345678", label="mobile", is_primary=True)
    factories.contact(debtor, "phone", "+33478000000", label="travail", opted_out_at=utcnow())
    row = factories.case(debtor_row=debtor, amounts=(50_000,))
    db_session.flush()
    return row


def phones(case: Case):
    return {cp.value: cp for cp in case.debtor.contact_points if cp.kind == "phone"}


def test_the_numbers_allowed_now_come_first_and_refused_ones_say_why(case):
    numbers = phone_numbers(case, at=TUESDAY_11)
    assert [(cp.value, v.allowed, v.reason) for cp, v in numbers] == [
        ("+33612345678", True, ""),
        ("+33478000000", False, "opted_out"),
    ]
    assert all(not v.allowed and v.reason == "outside_hours" or v.reason == "opted_out"
               for _cp, v in phone_numbers(case, at=SUNDAY_11))


def test_an_unanswered_call_is_recorded_and_the_case_comes_back_tomorrow(case):
    mobile = phones(case)["+33612345678"]
    action = record_call(case, CallReport(CallOutcome.NO_ANSWER, mobile, note="Sonne dans le vide",
                                          dialled_at=TUESDAY_11), actor=None, now=TUESDAY_11 + timedelta(minutes=3))
    db.session.flush()
    assert (action.kind, action.status, action.outcome, action.note) == ("call", "done", "no_answer",
                                                                         "Sonne dans le vide")
    assert action.contact_point_id == mobile.id and action.done_at == TUESDAY_11
    assert case.status == "active"
    assert case.next_action_at == TUESDAY_11 + timedelta(minutes=3, days=1)
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.subject_id == case.id,
                                                                   AuditEvent.subject_type == "collection_case"))
    assert {"action.call", "case.activated", "case.next_action"} <= set(events)


def test_a_call_completes_the_call_the_strategy_planned(case, app):
    case.opened_on = TUESDAY_11.date() - timedelta(days=20)
    case.strategy_step = 2
    db.session.flush()
    advance_strategy(TUESDAY_11)
    planned = db.session.scalar(sa.select(Action).where(Action.case_id == case.id, Action.strategy_step == 3))
    assert planned.status == "scheduled"
    action = record_call(case, CallReport(CallOutcome.RIGHT_PARTY, phones(case)["+33612345678"]), actor=None,
                         now=TUESDAY_11)
    assert action is planned and planned.status == "done" and planned.outcome == "right_party"
    assert db.session.scalar(sa.select(sa.func.count(Action.id)).where(Action.case_id == case.id,
                                                                       Action.kind == "call")) == 1


def test_a_wrong_number_marks_the_contact_point(case):
    mobile = phones(case)["+33612345678"]
    record_call(case, CallReport(CallOutcome.WRONG_NUMBER, mobile), actor=None, now=TUESDAY_11)
    assert mobile.status == "wrong"
    assert not phone_numbers(case, at=TUESDAY_11)[0][1].allowed
    with pytest.raises(WorkError) as refused:
        record_call(case, CallReport(CallOutcome.WRONG_NUMBER, None), actor=None, now=TUESDAY_11)
    assert refused.value.field == "contact_point_id"


def test_a_call_the_rules_refuse_is_recorded_as_blocked_and_nothing_else(case, time_machine):
    time_machine.move_to(SUNDAY_11)  # the promise's date must be ahead of the day the call is made
    mobile = phones(case)["+33612345678"]
    report = CallReport(CallOutcome.PROMISE, mobile, instalments=[Instalment(10_000, SUNDAY_11.date() + timedelta(days=400))])
    action = record_call(case, report, actor=None, now=SUNDAY_11)
    assert (action.status, action.reason) == ("blocked", "outside_hours")
    assert action.done_at is None and action.note  # the rules' explanation
    assert case.status == "new" and not case.promises
    opted_out = phones(case)["+33478000000"]
    action = record_call(case, CallReport(CallOutcome.NO_ANSWER, opted_out), actor=None, now=TUESDAY_11)
    assert (action.status, action.reason) == ("blocked", "opted_out")


def test_a_promise_on_the_phone_is_recorded_with_the_call(case):
    today = utcnow().date()
    report = CallReport(CallOutcome.PROMISE, phones(case)["+33612345678"],
                        instalments=[Instalment(20_000, today + timedelta(days=10)),
                                     Instalment(30_000, today + timedelta(days=40))])
    action = record_call(case, report, actor=None, now=TUESDAY_11)
    db.session.flush()
    promises = db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id).order_by(Promise.due_on)).all()
    assert [(p.amount_cents, p.action_id, p.status) for p in promises] == [(20_000, action.id, "pending"),
                                                                          (30_000, action.id, "pending")]
    assert case.status == "promise" and case.next_action_at is None


def test_a_promise_above_the_balance_writes_nothing(case):
    report = CallReport(CallOutcome.PROMISE, phones(case)["+33612345678"],
                        instalments=[Instalment(50_001, utcnow().date() + timedelta(days=3))])
    with pytest.raises(WorkError):
        record_call(case, report, actor=None, now=TUESDAY_11)
    assert not db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "call")).all()


def test_a_dispute_on_the_phone_opens_the_dispute(case):
    record_call(case, CallReport(CallOutcome.DISPUTE, phones(case)["+33612345678"],
                                 dispute_reason="Facture déjà réglée par chèque"), actor=None, now=TUESDAY_11)
    hold = db.session.scalar(sa.select(Hold).where(Hold.case_id == case.id))
    assert (hold.kind, hold.reason, case.status) == ("dispute", "Facture déjà réglée par chèque", "dispute")
    # On a disputed case the call about the dispute is allowed, a promise is not.
    assert phone_numbers(case, at=TUESDAY_11)[0][1].allowed
    with pytest.raises(WorkError):
        record_call(case, CallReport(CallOutcome.PROMISE, phones(case)["+33612345678"]), actor=None, now=TUESDAY_11)


def test_a_callback_needs_a_future_time_inside_the_calling_hours(case):
    mobile = phones(case)["+33612345678"]
    with pytest.raises(WorkError) as past:
        record_call(case, CallReport(CallOutcome.CALLBACK, mobile, callback_at=TUESDAY_11 - timedelta(hours=1)),
                    actor=None, now=TUESDAY_11)
    assert past.value.field == "callback_at"
    with pytest.raises(WorkError) as refused:  # Tuesday 22:00 in Paris
        record_call(case, CallReport(CallOutcome.CALLBACK, mobile, callback_at=TUESDAY_11 + timedelta(hours=11)),
                    actor=None, now=TUESDAY_11)
    assert refused.value.field == "callback_at"
    when = TUESDAY_11 + timedelta(days=1, hours=7)  # Wednesday 18:00 in Paris
    record_call(case, CallReport(CallOutcome.CALLBACK, mobile, callback_at=when), actor=None, now=TUESDAY_11)
    assert case.callback_at == when and case.next_action_at == when
    record_call(case, CallReport(CallOutcome.RIGHT_PARTY, mobile), actor=None, now=when)
    assert case.callback_at is None  # the callback took place


def test_the_dial_time_is_trusted_only_when_recent():
    now = TUESDAY_11
    assert dial_time(now - timedelta(minutes=20), now) == now - timedelta(minutes=20)
    assert dial_time(now - timedelta(hours=3), now) == now
    assert dial_time(now + timedelta(minutes=1), now) == now
    assert dial_time(None, now) == now


# --- the case screen and the call form -----------------------------------------------------------


def test_the_case_screen_offers_click_to_call_to_staff_only(client, login_as, case, open_hours):
    opted_out = phones(case)["+33478000000"]
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'href="tel:+33612345678"' in page
    assert 'href="tel:+33478000000"' not in page  # greyed, with the reason
    assert 'data-testid="call-form"' in page and opted_out.value not in page.split('data-testid="call-form"')[0][-10:]


def test_client_users_see_no_call_panel_and_cannot_post_a_call(client, login_as, case):
    login_as("client", client_row=case.client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "tel:" not in page and 'data-testid="call-form"' not in page
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/call", data={"csrf_token": token, "outcome": "no_answer"}).status_code == 403


def test_the_call_form_records_a_promise_in_two_instalments(client, login_as, case, open_hours):
    login_as("collector")
    mobile = phones(case)["+33612345678"]
    today = utcnow().date()
    token = csrf_token(client, f"/cases/{case.id}/call")
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": mobile.id, "outcome": "promise", "note": "D'accord pour 2 fois",
        "instalments-0-amount": "150,50", "instalments-0-due_on": (today + timedelta(days=7)).isoformat(),
        "instalments-1-amount": "300,00", "instalments-1-due_on": (today + timedelta(days=37)).isoformat(),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    promises = db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id).order_by(Promise.due_on)).all()
    assert [p.amount_cents for p in promises] == [15_050, 30_000]
    assert db.session.get(Case, case.id).status == "promise"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="promises"' in page


def test_a_bad_instalment_is_shown_under_its_field_and_nothing_is_written(client, login_as, case, open_hours):
    login_as("collector")
    today = utcnow().date()
    token = csrf_token(client, f"/cases/{case.id}/call")
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": 0, "outcome": "promise",
        "instalments-0-amount": "douze", "instalments-0-due_on": (today + timedelta(days=7)).isoformat(),
    })
    assert response.status_code == 400
    assert "150,00" in response.get_data(as_text=True)  # the hint of the amount's error
    response = client.post(f"/cases/{case.id}/call", data={
        "csrf_token": token, "contact_point_id": 0, "outcome": "promise",
        "instalments-0-amount": "100,00", "instalments-0-due_on": (today - timedelta(days=1)).isoformat(),
    })
    assert response.status_code == 400
    db.session.expire_all()
    assert not db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "call")).all()
    assert not db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id)).all()


def test_a_blocked_call_shows_in_the_history_with_its_reason(client, login_as, case):
    record_call(case, CallReport(CallOutcome.NO_ANSWER, phones(case)["+33612345678"]), actor=None, now=SUNDAY_11)
    db.session.commit()
    login_as("collector")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="blocked"' in page.split('data-testid="history"')[1]


def test_the_callback_page_sets_the_time_in_the_debtors_zone(client, login_as, case, open_hours):
    case.debtor.timezone = "America/New_York"
    db.session.commit()
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}/callback")
    day = (utcnow() + timedelta(days=2)).date()
    response = client.post(f"/cases/{case.id}/callback",
                           data={"csrf_token": token, "callback_at": f"{day.isoformat()}T18:30"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    local = saved.callback_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour, local.minute) == (day, 18, 30)
    assert saved.next_action_at == saved.callback_at
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="callback"' in page
