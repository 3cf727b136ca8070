"""SMS delivery through Twilio: retried when Twilio does not answer, never sent twice, a failure staff can retry.

The real twilio library talks to the local fake Twilio (tests/agency/test_sms.py), told to answer 500 or
429, or to hang past the read timeout. Time moves with time_machine; the minute's sweep (`retry_due_sms`)
is run as the scheduler runs it. In real mode the jobs go through Redis and a worker (`run_jobs`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.jobs import enqueue
from agency.message_models import SmsMessage
from agency.models import AuditEvent
from cases.messaging.delivery import deliver_sms_job, retry_due_sms
from cases.messaging.jobs import send_case_message_job
from cases.messaging.sms import send_case_sms
from cases.models import Action
from debtors.contacts import opt_out
from tests import factories
from tests.cases.messaging.test_pages import sign_in
from tests.cases.messaging.test_webhooks import STATUS_URL, signed_post, status_params
from tests.conftest import csrf_token

START = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # a Tuesday; contact hours are open all week in these tests
DELAYS = (30, 120, 600, 1800)  # SMS_RETRY_DELAYS by default: five attempts


class Clock:
    """Time from START, moved by steps; each step starts from where the last one was set, not from how long
    the jobs took meanwhile (a worker may take seconds to stop)."""

    def __init__(self, time_machine) -> None:
        self.time_machine, self.elapsed = time_machine, 0.0
        time_machine.move_to(START)

    def forward(self, seconds: float) -> None:
        self.elapsed += seconds
        self.time_machine.move_to(START + timedelta(seconds=self.elapsed))


@pytest.fixture
def clock(time_machine) -> Clock:
    return Clock(time_machine)


def send(db_session, case, run_jobs) -> Action:
    """Send the case's reminder SMS; the delivery job runs (at once in embedded mode, by a worker otherwise)."""
    action = send_case_sms(case, "reminder", actor=None)
    db_session.commit()
    run_jobs()
    return action


def later(clock: Clock, run_jobs, seconds: float) -> None:
    """Let `seconds` pass, then run the sweep that hands due messages to the delivery job."""
    clock.forward(seconds)
    enqueue(retry_due_sms)
    run_jobs()


def reload(db_session, action: Action) -> tuple[SmsMessage, Action]:
    db_session.expire_all()
    return db_session.get(SmsMessage, action.sms_message_id), db_session.get(Action, action.id)


@pytest.mark.parametrize(
    ("answer", "looked_up"),
    [
        ("500", True),  # Twilio may have acted before failing: the next run asks it first
        ("500-accepted", True),  # ... and here it had: found, not sent again
        ("429", False),  # refused before anything was created: nothing to look for
        ("hang", True),  # taken, but the answer came after the read timeout
        ("hang-before", True),  # never taken, and the answer came too late to say so
    ],
)
def test_twilio_not_answering_is_retried_later_and_the_sms_is_accepted_once(
    clock, db_session, case, open_hours, fake_twilio, run_jobs, answer, looked_up
):
    fake_twilio.answers.append(answer)
    action = send(db_session, case, run_jobs)
    message, action = reload(db_session, action)
    assert (message.status, message.attempts, action.outcome, action.status) == ("sending", 1, "sending", "done")
    assert START + timedelta(seconds=DELAYS[0]) <= message.next_attempt_at < START + timedelta(seconds=DELAYS[1])
    later(clock, run_jobs, 5)  # not due yet: nothing happens
    assert len(fake_twilio) == 1 and reload(db_session, action)[0].status == "sending"

    later(clock, run_jobs, DELAYS[0])  # 35 s after the first attempt
    message, action = reload(db_session, action)
    [accepted] = fake_twilio.accepted  # exactly one message, whatever Twilio did the first time
    assert (message.status, message.provider_sid) == ("queued", accepted["sid"])
    assert (action.status, action.outcome) == ("done", "sent")
    assert (message.attempted_at, message.next_attempt_at, message.error) == (None, None, "")
    assert (fake_twilio.lists > 0) is looked_up
    later(clock, run_jobs, 3600)  # nothing left to do
    assert len(fake_twilio.accepted) == 1


def test_an_sms_is_recorded_before_twilio_is_called_and_the_sender_never_waits(
    clock, db_session, case, open_hours, fake_twilio, run_jobs
):
    fake_twilio.answers.append("hang")
    action = send_case_sms(case, "reminder", actor=None)
    message = db_session.get(SmsMessage, action.sms_message_id)
    # Recorded with its action in the sender's transaction; the job calls Twilio (inline in embedded mode,
    # bounded by the read timeout; in real mode the sender's transaction never sees Twilio at all).
    assert message.next_attempt_at is not None and action.outcome in ("sending", "sent")
    run_jobs()
    message, _action = reload(db_session, action)
    assert message.attempts == 1 and message.attempted_at is not None  # the attempt's outcome is unknown


def test_after_the_last_attempt_the_sms_fails_visibly_and_a_collector_retries_it(
    clock, client, db_session, case, open_hours, fake_twilio, run_jobs, login_as
):
    fake_twilio.answers.extend(["500"] * 5)
    action = send(db_session, case, run_jobs)
    for delay in DELAYS:
        later(clock, run_jobs, delay + 2)
    assert len(fake_twilio) == 5 and reload(db_session, action)[0].status == "sending"
    later(clock, run_jobs, DELAYS[0] + 2)  # the last run only looks for the fifth attempt
    message, action = reload(db_session, action)
    assert (message.status, action.status, action.outcome, action.reason) == (
        "failed", "failed", "failed", "provider_unavailable")
    assert len(fake_twilio) == 5 and fake_twilio.accepted == []

    user = sign_in(login_as, db_session)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    problem = re.search(r'data-testid="message-problem">(.*?)</div>', page, re.S).group(1)
    assert "Twilio did not answer after 5 attempts." in problem and 'data-testid="retry-sms"' in problem
    assert 'data-testid="failure"' in page  # the history says why too

    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/sms/{message.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    run_jobs()
    message, action = reload(db_session, action)
    [accepted] = fake_twilio.accepted
    assert (message.status, message.provider_sid, action.status, action.outcome) == (
        "queued", accepted["sid"], "done", "sent")
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sms.retried"))
    assert (event.actor_id, event.subject_id, event.after["sms_message_id"]) == (user.id, case.id, message.id)
    # Sent: no button any more, and a second click sends nothing.
    assert 'data-testid="retry-sms"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post(f"/cases/{case.id}/sms/{message.id}/retry", data={"csrf_token": token})
    run_jobs()
    assert len(fake_twilio.accepted) == 1


@pytest.fixture
def given_up(clock, db_session, case, open_hours, fake_twilio, run_jobs) -> SmsMessage:
    """An SMS failed after five attempts Twilio refused with 429 (so nothing to look for)."""
    fake_twilio.answers.extend(["429"] * 5)
    action = send(db_session, case, run_jobs)
    for delay in DELAYS:
        later(clock, run_jobs, delay + 2)
    message, _action = reload(db_session, action)
    assert message.status == "failed" and len(fake_twilio) == 5
    return message


def test_client_users_cannot_retry(client, db_session, case, given_up, login_as, fake_twilio, run_jobs):
    login_as("client", client_row=case.client)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/sms/{given_up.id}/retry", data={"csrf_token": token}).status_code == 403
    run_jobs()
    assert fake_twilio.accepted == [] and len(fake_twilio) == 5


def test_the_retry_needs_a_csrf_token_and_the_message_of_the_case(client, db_session, case, given_up, login_as,
                                                                  fake_twilio, run_jobs):
    sign_in(login_as, db_session)
    assert client.post(f"/cases/{case.id}/sms/{given_up.id}/retry", data={}).status_code == 400
    token = csrf_token(client, f"/cases/{case.id}")
    other = factories.case(factories.client(), factories.debtor())
    db_session.commit()
    assert client.post(f"/cases/{other.id}/sms/{given_up.id}/retry", data={"csrf_token": token}).status_code == 404
    run_jobs()
    assert fake_twilio.accepted == [] and len(fake_twilio) == 5


def test_a_retry_asks_the_contact_rules_again(client, db_session, case, given_up, login_as, fake_twilio, run_jobs):
    opt_out(next(cp for cp in case.debtor.contact_points if cp.kind == "phone"), actor=None, source="sms_stop")
    db_session.commit()
    sign_in(login_as, db_session)
    token = csrf_token(client, f"/cases/{case.id}")
    page = client.post(f"/cases/{case.id}/sms/{given_up.id}/retry", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "SMS not sent" in page
    run_jobs()
    assert fake_twilio.accepted == [] and db_session.get(SmsMessage, given_up.id).status == "failed"


def test_a_refusal_by_twilio_fails_at_once_and_offers_no_retry(clock, client, db_session, case, open_hours,
                                                               fake_twilio, run_jobs, login_as):
    bad = factories.contact(case.debtor, "phone", "+33600000000", label="mobile")
    action = send_case_sms(case, "reminder", actor=None, contact_point=bad)
    db_session.commit()
    run_jobs()
    later(clock, run_jobs, 3600)
    message, action = reload(db_session, action)
    assert (message.status, action.reason, len(fake_twilio)) == ("failed", "send_failed", 1)
    sign_in(login_as, db_session)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "21211" in page and 'data-testid="retry-sms"' not in page
    token = csrf_token(client, f"/cases/{case.id}")
    client.post(f"/cases/{case.id}/sms/{message.id}/retry", data={"csrf_token": token})
    run_jobs()
    assert len(fake_twilio) == 1


def test_the_status_callback_names_the_message_before_the_job_knows_its_sid(
    clock, client, db_session, case, open_hours, fake_twilio, run_jobs, public_url
):
    fake_twilio.answers.append("hang")  # taken by Twilio, but the job never heard so
    action = send(db_session, case, run_jobs)
    message, _action = reload(db_session, action)
    assert (message.status, message.provider_sid) == ("sending", None)
    [sid] = [m["sid"] for m in fake_twilio.accepted]
    callback = fake_twilio[0]["form"]["StatusCallback"][0]
    local = callback.replace(public_url, "http://localhost")
    assert signed_post(client, local, status_params("sent", sid), signed_url=callback,
                       token="secret-token").status_code == 204
    message, action = reload(db_session, action)
    assert (message.status, message.provider_sid, action.outcome) == ("sent", sid, "sent")
    later(clock, run_jobs, 3600)
    assert len(fake_twilio) == 1 and fake_twilio.lists == 0  # settled: no lookup, nothing sent again


def test_a_message_given_up_on_that_twilio_reports_later_is_put_right(client, db_session, given_up, fake_twilio):
    url = f"{STATUS_URL}?sms={given_up.id}"
    assert signed_post(client, url, status_params("delivered", "SM" + "f" * 32), token="secret-token").status_code == 204
    db_session.expire_all()
    action = db_session.scalar(sa.select(Action).where(Action.sms_message_id == given_up.id))
    assert (given_up.status, given_up.provider_sid) == ("delivered", "SM" + "f" * 32)
    assert (action.status, action.outcome, action.reason) == ("done", "delivered", "")


def test_delivery_jobs_are_short_so_that_a_crashed_one_comes_back_in_minutes():
    # RQ sends a crashed job back once its timeout (plus a minute) has passed.
    assert deliver_sms_job.timeout <= 120 and retry_due_sms.timeout <= 120 and send_case_message_job.timeout <= 120
