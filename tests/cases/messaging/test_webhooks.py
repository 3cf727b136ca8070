"""Twilio's webhooks: signed like Twilio signs them, delivery statuses, replies, STOP requests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from agency.message_models import SmsMessage
from agency.models import AuditEvent
from cases.messaging.sms import is_stop_request, send_case_sms
from cases.models import Action, Case
from debtors.models import ContactPoint
from tests import factories
from tests.cases.messaging.conftest import MOBILE

TOKEN = "secret-token"
STATUS_URL = "http://localhost/webhooks/twilio/status"
INBOUND_URL = "http://localhost/webhooks/twilio/inbound"


@pytest.fixture
def twilio_token(app):
    saved = app.config["TWILIO_AUTH_TOKEN"]
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    yield TOKEN
    app.config["TWILIO_AUTH_TOKEN"] = saved


def signed_post(client, url: str, params: dict, *, signed_url: str | None = None, token: str = TOKEN):
    """POST a form as Twilio does, with the signature of `signed_url` (default: the URL called)."""
    signature = RequestValidator(token).compute_signature(signed_url or url, params)
    return client.post(url, data=params, headers={"X-Twilio-Signature": signature})


def inbound(client, body: str, sid: str = "SM" + "b" * 32, sender: str = MOBILE):
    params = {"MessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": sender, "To": "+33700000001", "Body": body}
    return signed_post(client, INBOUND_URL, params)


@pytest.fixture
def sent(db_session, case, open_hours, fake_twilio, run_jobs):
    """An SMS of the case sent through (fake) Twilio, committed so that webhook requests see it."""
    action = send_case_sms(case, "reminder", actor=None)
    db_session.commit()
    run_jobs()  # the delivery job (it ran at once in embedded mode)
    db_session.refresh(action)
    return action


@pytest.fixture
def sid(db_session, sent) -> str:
    """The sid Twilio gave the sent message."""
    return db_session.get(SmsMessage, sent.sms_message_id).provider_sid


def status_params(status: str, sid: str = "SM" + "a" * 32, **extra) -> dict:
    return {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32, **extra}


def test_the_status_callback_updates_the_message_and_its_action(client, db_session, sent, sid, twilio_token):
    assert signed_post(client, STATUS_URL, status_params("sent", sid)).status_code == 204
    message = db_session.get(SmsMessage, sent.sms_message_id)
    db_session.refresh(message)
    assert message.status == "sent"
    assert signed_post(client, STATUS_URL, status_params("delivered", sid)).status_code == 204
    db_session.refresh(message)
    db_session.refresh(sent)
    assert message.status == "delivered" and sent.outcome == "delivered" and sent.status == "done"
    # A late "sent" never takes a delivered message back.
    signed_post(client, STATUS_URL, status_params("sent", sid))
    db_session.refresh(message)
    assert message.status == "delivered"
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sms.status", AuditEvent.actor_label == "twilio")
    ).all()
    assert [e.after["sms_status"] for e in events] == ["sent", "delivered"]


def test_an_undelivered_message_fails_its_action_with_the_error_code(client, db_session, sent, sid, twilio_token):
    signed_post(client, STATUS_URL, status_params("undelivered", sid, ErrorCode="30003"))
    message = db_session.get(SmsMessage, sent.sms_message_id)
    db_session.refresh(message)
    db_session.refresh(sent)
    assert message.status == "undelivered" and message.error == "Twilio 30003"
    assert (sent.status, sent.outcome, sent.reason) == ("failed", "failed", "undelivered")


@pytest.mark.parametrize("endpoint", [STATUS_URL, INBOUND_URL])
def test_unsigned_or_badly_signed_calls_are_refused(client, db_session, sent, twilio_token, endpoint):
    params = status_params("delivered") | {"From": MOBILE, "Body": "STOP"}
    assert client.post(endpoint, data=params).status_code == 403
    assert signed_post(client, endpoint, params, token="not-the-token").status_code == 403
    tampered = RequestValidator(TOKEN).compute_signature(endpoint, params)
    response = client.post(endpoint, data=params | {"Body": "Bonjour"}, headers={"X-Twilio-Signature": tampered})
    assert response.status_code == 403
    assert db_session.get(SmsMessage, sent.sms_message_id).status == "queued"
    assert db_session.scalar(sa.select(ContactPoint.opted_out_at).where(ContactPoint.value == MOBILE)) is None


def test_without_an_auth_token_no_call_can_be_trusted(client, db_session, app):
    assert not app.config["TWILIO_AUTH_TOKEN"]
    assert signed_post(client, STATUS_URL, status_params("delivered"), token="anything").status_code == 403


def test_behind_a_proxy_the_signature_covers_the_public_url(client, db_session, sent, sid, twilio_token, public_url):
    public = f"{public_url}/webhooks/twilio/status"
    assert signed_post(client, STATUS_URL, status_params("delivered", sid), signed_url=public).status_code == 204
    assert signed_post(client, STATUS_URL, status_params("delivered", sid)).status_code == 403


def test_a_reply_is_attached_to_each_open_case_of_the_debtor(client, db_session, case, twilio_token):
    other_open = factories.case(debtor_row=case.debtor)
    closed = factories.case(debtor_row=case.debtor)
    closed.status = "closed"
    stranger = factories.case()
    db_session.commit()
    response = inbound(client, "Bonjour, je paierai le 15.")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    message = db_session.scalar(sa.select(SmsMessage).where(SmsMessage.direction == "inbound"))
    assert (message.from_number, message.body, message.status) == (MOBILE, "Bonjour, je paierai le 15.", "received")
    replies = db_session.scalars(sa.select(Action).where(Action.sms_message_id == message.id)).all()
    assert sorted(a.case_id for a in replies) == sorted([case.id, other_open.id])
    assert {(a.direction, a.outcome, a.note) for a in replies} == {("inbound", "received", "Bonjour, je paierai le 15.")}
    for row in (case, other_open, closed, stranger):
        db_session.refresh(row)
    assert case.next_action_at is not None and other_open.next_action_at is not None  # back in the queue
    assert closed.next_action_at is None and stranger.next_action_at is None
    assert db_session.scalar(sa.select(ContactPoint.opted_out_at).where(ContactPoint.value == MOBILE)) is None


def test_a_webhook_retried_by_twilio_is_stored_once(client, db_session, case, twilio_token):
    inbound(client, "Bonjour")
    inbound(client, "Bonjour")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Action).where(Action.case_id == case.id)) == 1


def test_a_reply_from_an_unknown_number_is_kept(client, db_session, twilio_token):
    assert inbound(client, "Qui êtes-vous ?", sender="+33611111111").status_code == 200
    message = db_session.scalar(sa.select(SmsMessage))
    assert message.from_number == "+33611111111"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop! ", "Arrêt", "ARRET", "arret svp", "STOPALL", "Unsubscribe",
                                  "cancel", "END", "quit", "Revoke", "optout", "STOP merci"])
def test_stop_type_replies_opt_the_number_out_at_once(client, db_session, case, twilio_token, body):
    other_debtor = factories.debtor()
    shared = factories.contact(other_debtor, "phone", MOBILE)
    db_session.commit()
    assert inbound(client, body).status_code == 200
    points = db_session.scalars(sa.select(ContactPoint).where(ContactPoint.value == MOBILE)).all()
    assert len(points) == 2 and all(p.opted_out_at is not None for p in points)
    assert shared in points
    reply = db_session.scalar(sa.select(Action).where(Action.case_id == case.id))
    assert (reply.direction, reply.outcome) == ("inbound", "opted_out")
    events = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "contact_point.opted_out")).all()
    assert len(events) == 2 and events[0].after["source"] == "sms_stop"
    assert db_session.get(Case, case.id).next_action_at is None


def test_after_stop_no_sms_is_sent_to_the_number(client, db_session, case, open_hours, fake_twilio, twilio_token):
    inbound(client, "STOP")
    action = send_case_sms(case, "reminder", actor=None)
    assert (action.status, action.reason) == ("blocked", "opted_out") and fake_twilio == []


@pytest.mark.parametrize("body", ["", "Je ne peux pas payer avant la fin du mois", "stopper les appels ?",
                                  "The end of the month", "Pourquoi arrêter ?"])
def test_other_replies_are_not_opt_outs(body):
    assert not is_stop_request(body)
