"""Automatic messages sent by jobs: re-checked before sending, never twice when retried."""

from __future__ import annotations

import os
from datetime import date

import pytest
import sqlalchemy as sa

from agency.jobs import enqueue, get_queue
from agency.message_models import SmsMessage
from cases.ledger import post_entry
from cases.messaging.jobs import send_case_message_job
from cases.models import Action, EntryKind
from tests.cases.messaging.conftest import ADDRESS

REAL_MODE = bool(os.environ.get("REDIS_URL"))


def actions(db_session, case) -> list[Action]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Action).where(Action.case_id == case.id).order_by(Action.id)))


def test_the_job_sends_a_strategy_step_once_even_when_run_again(db_session, case, open_hours, fake_twilio, run_jobs):
    db_session.commit()
    for _ in range(2):  # a retry, or the daily run asking again
        enqueue(send_case_message_job, case.id, "sms", "reminder", 1)
        run_jobs()
    [action] = actions(db_session, case)
    assert (action.status, action.strategy_step, action.user_id) == ("done", 1, None)
    assert len(fake_twilio) == 1 and db_session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 1


def test_the_job_sends_emails_too(db_session, case, smtp_server, run_jobs):
    db_session.commit()
    enqueue(send_case_message_job, case.id, "email", "reminder", 2)
    run_jobs()
    [action] = actions(db_session, case)
    assert action.kind == "email" and action.outcome == "sent"
    assert smtp_server.envelopes[0].rcpt_tos == [ADDRESS]


def test_a_paid_case_gets_no_message(db_session, case, open_hours, fake_twilio, run_jobs):
    post_entry(case, EntryKind.PAYMENT, -123_456, date(2026, 4, 1))
    db_session.commit()
    enqueue(send_case_message_job, case.id, "sms", "reminder", 1)
    run_jobs()
    assert actions(db_session, case) == [] and fake_twilio == []


def test_a_closed_case_gets_no_message(db_session, case, open_hours, fake_twilio, run_jobs):
    case.status = "closed"
    db_session.commit()
    enqueue(send_case_message_job, case.id, "sms", "reminder", 1)
    run_jobs()
    assert actions(db_session, case) == [] and fake_twilio == []


@pytest.mark.skipif(not REAL_MODE, reason="real mode: needs REDIS_URL (CI sets it)")
def test_in_real_mode_a_step_refused_for_the_hour_is_scheduled_for_when_allowed(db_session, case, closed_hours,
                                                                                run_jobs):
    db_session.commit()
    enqueue(send_case_message_job, case.id, "sms", "reminder", 5)
    run_jobs()
    [blocked] = actions(db_session, case)
    assert (blocked.status, blocked.reason, blocked.strategy_step) == ("blocked", "outside_hours", None)
    registry = get_queue().scheduled_job_registry
    job_id = f"message-{case.id}-5"
    try:
        assert job_id in registry.get_job_ids()
        assert registry.get_scheduled_time(job_id) == closed_hours
    finally:
        registry.remove(job_id, delete_job=True)


@pytest.mark.skipif(REAL_MODE, reason="embedded mode only: REDIS_URL is set")
def test_in_embedded_mode_a_step_refused_for_the_hour_stays_open(db_session, case, closed_hours, run_jobs):
    db_session.commit()
    enqueue(send_case_message_job, case.id, "sms", "reminder", 5)
    [blocked] = actions(db_session, case)
    assert (blocked.status, blocked.strategy_step) == ("blocked", None)
    assert db_session.scalar(sa.select(Action).where(Action.strategy_step == 5)) is None
