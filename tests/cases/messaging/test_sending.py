"""send_case_sms / send_case_email: the contact rules, opt-outs, one message per strategy step, the history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.db import utcnow
from agency.message_models import EmailMessage, SmsMessage
from agency.models import AuditEvent
from cases.messaging.email import send_case_email
from cases.messaging.links import UNSUBSCRIBE, read_id
from cases.messaging.sms import send_case_sms
from cases.messaging.space_links import find_link
from cases.models import Action
from debtors.models import Hold
from tests import factories
from tests.cases.messaging.conftest import ADDRESS, MOBILE, set_hours


def point(case, kind):
    return next(cp for cp in case.debtor.contact_points if cp.kind == kind)


def count(db_session, model, *where) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_without_twilio_the_sms_goes_to_the_outbox_and_the_action_links_it(db_session, case, open_hours):
    collector = factories.user("collector")
    action = send_case_sms(case, "reminder", actor=collector)
    db_session.flush()
    assert (action.kind, action.channel, action.status, action.outcome) == ("sms", "sms", "done", "outbox")
    assert action.user_id == collector.id and action.contact_point_id == point(case, "phone").id
    message = db_session.get(SmsMessage, action.sms_message_id)
    assert message.status == "outbox" and message.to_number == MOBILE and case.reference in message.body
    assert action.note == message.body
    audit = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "action.sms")).all()
    assert [(e.subject_id, e.actor_id) for e in audit] == [(case.id, collector.id)]


def test_twilio_sends_with_a_status_callback_on_the_public_address(db_session, case, open_hours, fake_twilio,
                                                                     public_url, run_jobs):
    action = send_case_sms(case, "reminder", actor=None)
    run_jobs()  # the delivery job, once the sender commits (at once in embedded mode)
    [request] = fake_twilio
    assert request["form"]["To"] == [MOBILE]
    # The callback names the message: it may come before the job has recorded the sid.
    assert request["form"]["StatusCallback"] == [f"{public_url}/webhooks/twilio/status?sms={action.sms_message_id}"]
    body = request["form"]["Body"][0]
    assert f"{public_url}/espace/" in body
    token = body.split(f"{public_url}/espace/", 1)[1].split()[0]
    link = find_link(token)  # each SMS carries a link of its own, recorded with it
    assert link.sms_message_id == action.sms_message_id and link.channel == "sms" and link.case_id == case.id
    message = db_session.get(SmsMessage, action.sms_message_id)
    db_session.refresh(message)
    db_session.refresh(action)
    assert message.provider_sid == fake_twilio.accepted[0]["sid"] and message.status == "queued"
    assert (action.status, action.outcome) == ("done", "sent")


def test_no_status_callback_without_a_public_address(db_session, case, open_hours, fake_twilio, run_jobs):
    send_case_sms(case, "reminder", actor=None)
    run_jobs()
    assert "StatusCallback" not in fake_twilio[0]["form"]


def test_a_twilio_refusal_makes_a_failed_action_at_once(db_session, case, open_hours, fake_twilio, run_jobs):
    bad = factories.contact(case.debtor, "phone", "+33600000000")
    action = send_case_sms(case, "reminder", actor=None, contact_point=bad)
    run_jobs()
    db_session.refresh(action)
    assert (action.status, action.outcome, action.reason) == ("failed", "failed", "send_failed")
    message = db_session.get(SmsMessage, action.sms_message_id)
    db_session.refresh(message)
    assert "21211" in message.error and (message.next_attempt_at, message.attempts) == (None, 1)  # never again


def test_a_strategy_step_is_sent_once_however_often_it_is_asked(db_session, case, open_hours, fake_twilio, run_jobs):
    first = send_case_sms(case, "reminder", actor=None, strategy_step=1)
    run_jobs()
    again = send_case_sms(case, "reminder", actor=None, strategy_step=1)
    run_jobs()
    assert again.id == first.id and len(fake_twilio) == 1
    assert count(db_session, SmsMessage) == 1
    assert count(db_session, Action, Action.case_id == case.id, Action.strategy_step == 1) == 1


def test_a_planned_step_is_completed_rather_than_duplicated(db_session, case, open_hours):
    planned = Action(case=case, kind="sms", channel="sms", status="scheduled", strategy_step=2)
    db_session.add(planned)
    db_session.flush()
    action = send_case_sms(case, "reminder", actor=None, strategy_step=2)
    db_session.flush()
    assert action.id == planned.id and action.status == "done" and action.done_at is not None
    assert action.sms_message_id is not None and action.outcome == "outbox"
    assert count(db_session, Action, Action.case_id == case.id) == 1


def test_outside_the_contact_hours_nothing_is_sent_and_the_refusal_is_recorded(db_session, case, closed_hours,
                                                                                fake_twilio):
    action = send_case_sms(case, "reminder", actor=None)
    db_session.flush()
    assert (action.status, action.reason) == ("blocked", "outside_hours")
    assert action.sms_message_id is None and fake_twilio == [] and count(db_session, SmsMessage) == 0


def test_a_step_refused_for_the_hour_stays_open_until_the_hours_allow_it(db_session, case, closed_hours):
    planned = Action(case=case, kind="sms", channel="sms", status="scheduled", strategy_step=3)
    db_session.add(planned)
    db_session.flush()
    blocked = send_case_sms(case, "reminder", actor=None, strategy_step=3)
    db_session.flush()
    assert blocked.status == "blocked" and blocked.strategy_step is None and blocked.id != planned.id
    assert planned.status == "scheduled" and planned.scheduled_at == closed_hours
    set_hours(db_session, {str(d): [["00:00", "24:00"]] for d in range(1, 8)})
    sent = send_case_sms(case, "reminder", actor=None, strategy_step=3)
    assert sent.id == planned.id and sent.status == "done"


def test_an_opted_out_number_never_receives_anything(db_session, case, open_hours, fake_twilio):
    mobile = point(case, "phone")
    mobile.opted_out_at = utcnow()
    chosen = send_case_sms(case, "reminder", actor=None)
    forced = send_case_sms(case, "reminder", actor=None, contact_point=mobile)
    db_session.flush()
    assert [(a.status, a.reason) for a in (chosen, forced)] == [("blocked", "opted_out")] * 2
    assert fake_twilio == [] and count(db_session, SmsMessage) == 0


def test_a_number_opted_out_under_another_debtor_is_not_texted_either(db_session, case, open_hours, fake_twilio):
    other = factories.debtor()
    factories.contact(other, "phone", MOBILE, opted_out_at=utcnow())
    action = send_case_sms(case, "reminder", actor=None, strategy_step=1)
    db_session.flush()
    assert (action.status, action.reason, action.strategy_step) == ("blocked", "opted_out", 1)
    assert fake_twilio == []


def test_a_landline_is_not_texted(db_session, case, open_hours):
    point(case, "phone").value = "+33478000000"
    action = send_case_sms(case, "reminder", actor=None)
    assert (action.status, action.reason) == ("blocked", "not_mobile")


def test_a_hold_blocks_every_message_and_closes_the_step(db_session, case, open_hours, smtp_server):
    db_session.add(Hold(debtor_id=case.debtor_id, kind="insolvency"))
    db_session.flush()
    sms = send_case_sms(case, "reminder", actor=None, strategy_step=1)
    email = send_case_email(case, "reminder", actor=None)
    db_session.flush()
    assert (sms.status, sms.reason, sms.strategy_step) == ("blocked", "hold_insolvency", 1)
    assert (email.status, email.reason) == ("blocked", "hold_insolvency")
    assert send_case_sms(case, "reminder", actor=None, strategy_step=1).id == sms.id
    assert smtp_server.envelopes == [] and count(db_session, SmsMessage) == 0


def test_a_contact_point_of_another_debtor_is_refused(db_session, case, open_hours):
    stranger = factories.contact(factories.debtor(), "phone", "+33698765432")
    with pytest.raises(ValueError):
        send_case_sms(case, "reminder", actor=None, contact_point=stranger)


def test_the_email_goes_through_smtp_with_its_opt_out_line_and_unsubscribe_header(db_session, case, smtp_server):
    action = send_case_email(case, "reminder", actor=None)
    db_session.flush()
    assert (action.kind, action.status, action.outcome) == ("email", "done", "sent")
    row = db_session.get(EmailMessage, action.email_message_id)
    assert row.status == "sent" and row.to_address == ADDRESS and action.note == row.subject
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [ADDRESS]
    [received] = smtp_server.messages
    assert received["Subject"].startswith(f"Dossier {case.reference} (Boulangerie Dupain SAS)")
    assert received["Reply-To"] == "contact@recouvra.example.fr"
    body = received.get_content()
    assert "Bonjour Mme Jeanne MARTIN," in body
    opt_out = body.strip().splitlines()[-1]
    assert opt_out.startswith("Vous ne souhaitez plus recevoir de courriels de notre part ? Désinscrivez-vous ici :")
    link = opt_out.rsplit(" ", 1)[1]
    assert received["List-Unsubscribe"].strip() == f"<{link}>"  # a long header is folded onto a second line
    assert read_id(UNSUBSCRIBE, link.rsplit("/", 1)[1]) == point(case, "email").id


def test_without_smtp_the_email_is_kept_in_the_outbox(db_session, case):
    action = send_case_email(case, "reminder", actor=None)
    db_session.flush()
    assert action.outcome == "outbox" and db_session.get(EmailMessage, action.email_message_id).status == "outbox"


def test_a_refused_address_makes_a_failed_action(db_session, case, smtp_server):
    point(case, "email").value = "jeanne@refused.example.com"
    action = send_case_email(case, "reminder", actor=None)
    assert (action.status, action.outcome, action.reason) == ("failed", "failed", "send_failed")


def test_an_unsubscribed_address_gets_no_email(db_session, case, smtp_server):
    point(case, "email").opted_out_at = utcnow()
    action = send_case_email(case, "reminder", actor=None, strategy_step=4)
    assert (action.status, action.reason, action.strategy_step) == ("blocked", "opted_out", 4)
    assert smtp_server.envelopes == []


def test_a_landline_first_does_not_close_a_step_the_mobile_can_take_later(db_session, case, closed_hours):
    mobile = point(case, "phone")
    mobile.is_primary = False
    factories.contact(case.debtor, "phone", "+33478123456", is_primary=True)
    db_session.expire(case.debtor, ["contact_points"])
    action = send_case_sms(case, "reminder", actor=None, strategy_step=6)
    assert (action.status, action.reason, action.strategy_step) == ("blocked", "outside_hours", None)
    assert action.contact_point_id == mobile.id
