"""Promises to pay: validation, replacement, the reminder before the date and the check the day after."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db, utcnow
from agency.jobs import enqueue
from agency.message_models import SmsMessage
from agency.models import AuditEvent
from cases.ledger import post_entry
from cases.models import Action, EntryKind, LedgerEntry
from cases.work import WorkError
from cases.work.jobs import check_promises_job, promise_reminders_job
from cases.work.promises import (
    Instalment,
    check_instalments,
    paid_since,
    promises_to_remind,
    record_promises,
    remind_promise,
    resolve_due_promises,
)
from tests import factories
from tests.cases.work.conftest import TUESDAY_3AM, TUESDAY_11
from tests.conftest import csrf_token


@pytest.fixture
def case(db_session):
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678", label="mobile", is_primary=True, sms_consent=True)
    row = factories.case(debtor_row=debtor, amounts=(100_000,))
    db_session.flush()
    return row


def pay(case, cents: int, on, reverse: bool = False) -> LedgerEntry:
    entry = post_entry(case, EntryKind.PAYMENT, -cents, on, description="Virement")
    db.session.flush()
    if reverse:
        post_entry(case, EntryKind.REVERSAL, cents, on, description="Rejet").reverses_id = entry.id
        db.session.flush()
    return entry


def made_days_ago(promises, days: int) -> None:
    """Pretend the promises were made `days` ago (their date moves back with them)."""
    for p in promises:
        p.created_at -= timedelta(days=days)
        p.due_on -= timedelta(days=days)
    db.session.flush()


@pytest.mark.parametrize(
    ("instalments", "field"),
    [
        ([], "instalments-0-amount"),
        ([Instalment(0, date_ := None)], "instalments-0-amount"),
        ([Instalment(100, None), Instalment(-5, None)], "instalments-1-amount"),
        ([Instalment(100, -1)], "instalments-0-due_on"),
        ([Instalment(60_000, 3), Instalment(40_001, 4)], "instalments-0-amount"),
    ],
)
def test_instalments_are_refused_with_the_field_at_fault(case, instalments, field):
    day = today()
    items = [Instalment(i.amount_cents, day + timedelta(days=i.due_on if isinstance(i.due_on, int) else 1))
             for i in instalments]
    with pytest.raises(WorkError) as refused:
        check_instalments(case, items, today=day)
    assert refused.value.field == field


def test_the_whole_balance_may_be_promised_in_several_instalments(case):
    day = today()
    check_instalments(case, [Instalment(60_000, day), Instalment(40_000, day + timedelta(days=30))], today=day)


def test_a_new_promise_replaces_the_pending_one(case):
    day = today()
    first = record_promises(case, [Instalment(10_000, day + timedelta(days=5))], actor=None)
    second = record_promises(case, [Instalment(20_000, day + timedelta(days=9))], actor=None)
    assert first[0].status == "cancelled" and second[0].status == "pending"
    assert case.status == "promise"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "promise.cancelled")) == 1


def test_payments_since_the_promise_count_net_of_reversals(case):
    day = today()
    pay(case, 5_000, day - timedelta(days=3))  # before: not for the promise
    pay(case, 7_000, day)
    pay(case, 2_000, day, reverse=True)
    assert paid_since(case.id, day) == 7_000


def test_the_day_after_the_date_a_promise_is_kept_partly_kept_or_broken(case):
    day = today()
    promises = record_promises(case, [Instalment(30_000, day + timedelta(days=1)),
                                      Instalment(30_000, day + timedelta(days=2)),
                                      Instalment(30_000, day + timedelta(days=3))], actor=None)
    made_days_ago(promises, 10)  # due 9, 8 and 7 days ago
    pay(case, 45_000, day - timedelta(days=9))  # the first instalment and half of the second
    counts = resolve_due_promises(day, now=utcnow())
    assert counts == {"kept": 1, "partly_kept": 1, "broken": 1}
    assert [(p.status, p.paid_cents) for p in promises] == [("kept", 30_000), ("partly_kept", 15_000),
                                                            ("broken", 0)]
    assert case.status == "active" and case.next_action_at is not None  # back to the top of the queue
    assert resolve_due_promises(day) == {"kept": 0, "partly_kept": 0, "broken": 0}  # once only


def test_a_kept_instalment_waits_for_the_next_one(case, run_jobs):
    day = today()
    promises = record_promises(case, [Instalment(30_000, day + timedelta(days=1)),
                                      Instalment(30_000, day + timedelta(days=40))], actor=None)
    made_days_ago(promises, 2)
    pay(case, 30_000, day - timedelta(days=1))
    enqueue(check_promises_job)
    run_jobs()
    assert [p.status for p in promises] == ["kept", "pending"]
    assert case.status == "promise" and case.next_action_at is None


def test_a_broken_promise_puts_the_case_back_in_the_queue(case):
    promises = record_promises(case, [Instalment(30_000, today() + timedelta(days=1))], actor=None)
    made_days_ago(promises, 3)
    before = utcnow()
    resolve_due_promises(today())
    assert promises[0].status == "broken" and promises[0].paid_cents == 0
    assert case.status == "active" and case.next_action_at >= before
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "promise.broken")) == 1


def test_the_reminder_goes_once_before_the_date_and_only_when_allowed(case, open_hours, run_jobs):
    promises = record_promises(case, [Instalment(30_000, today() + timedelta(days=3)),
                                      Instalment(20_000, today() + timedelta(days=4))], actor=None)
    made_days_ago(promises, 2)  # due in 1 and 2 days, made two days ago
    assert promises_to_remind(today()) == [p.id for p in promises]
    enqueue(promise_reminders_job)
    run_jobs()
    assert all(p.reminded_at is not None for p in promises)
    sms = db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "sms")).all()
    assert len(sms) == 1 and sms[0].status == "done" and sms[0].sms_message_id is not None
    assert db.session.get(SmsMessage, sms[0].sms_message_id).to_number == "+33612345678"
    assert promises_to_remind(today()) == []
    assert not remind_promise(promises[0], now=utcnow())  # never twice


def test_no_reminder_outside_the_hours_or_for_a_promise_made_today(case, time_machine):
    time_machine.move_to(TUESDAY_11)
    promises = record_promises(case, [Instalment(30_000, TUESDAY_11.date() + timedelta(days=1))], actor=None)
    assert not remind_promise(promises[0], now=TUESDAY_3AM)
    assert promises[0].reminded_at is None
    assert not db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "sms")).all()
    fresh = record_promises(case, [Instalment(30_000, today() + timedelta(days=1))], actor=None)
    assert fresh[0].id not in promises_to_remind(today())


def test_the_promise_form_page(client, login_as, case):
    login_as("collector")
    page = client.get(f"/cases/{case.id}/promise")
    assert page.status_code == 200 and 'data-testid="promise-form"' in page.get_data(as_text=True)


def test_a_missing_date_is_reported_under_the_date_field(client, db_session, login_as, case):
    login_as("collector")
    url = f"/cases/{case.id}/promise"
    for date_typed in ("", "   "):
        data = {"csrf_token": csrf_token(client, url), "instalments-0-amount": "150,00",
                "instalments-0-due_on": date_typed}
        response = client.post(url, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, page
        line = page.split('data-testid="instalment"', 1)[1].split('data-add-instalment', 1)[0]
        date_cell = line.split('name="instalments-0-due_on"', 1)[1]
        assert "Indiquez la date." in date_cell or "Give the date." in date_cell, date_cell[:400]
        assert 'role="alert"' not in page.split('data-testid="promise-form"', 1)[1].split('data-testid="instalments"')[0]
    assert not case.promises
