"""The messaging panel of the case screen, sending from it, the unsubscribe page and the debtor's link."""

from __future__ import annotations

import re

import sqlalchemy as sa

from agency.db import utcnow
from agency.message_models import EmailMessage, SmsMessage
from cases.messaging.links import PORTAL, UNSUBSCRIBE, sign_id
from cases.models import Action
from debtors.contacts import opt_out
from debtors.models import ContactPoint, Hold
from tests import factories
from tests.cases.messaging.conftest import ADDRESS, MOBILE
from tests.conftest import csrf_token


def point(case, kind):
    return next(cp for cp in case.debtor.contact_points if cp.kind == kind)


def panel_of(page: str) -> str:
    match = re.search(r'data-testid="messaging".*?<script', page, re.S)  # the panel ends with its script file
    assert match, "no messaging panel"
    return match.group(0)


def sign_in(login_as, db_session, role: str = "collector", **kwargs):
    """Sign in with the English UI, so that the texts checked do not depend on the French catalog."""
    user = login_as(role, **kwargs)
    user.locale = "en"
    db_session.commit()
    return user


def send(client, case, channel: str, **fields):
    token = csrf_token(client, f"/cases/{case.id}")
    data = {f"{channel}-{k}": v for k, v in fields.items()} | {f"{channel}-csrf_token": token}
    return client.post(f"/cases/{case.id}/messages/{channel}", data=data, follow_redirects=True)


def test_collectors_see_templates_previews_and_the_allowed_recipients(client, db_session, case, open_hours,
                                                                      login_as):
    sign_in(login_as, db_session)
    panel = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'value="reminder"' in panel and "Payment reminder" in panel
    assert "06 12 34 56 78 (mobile)" in panel and ADDRESS in panel
    assert f"votre dossier {case.reference} présente un solde de 1234,56 €" in panel  # the SMS preview
    assert "restant dû" in panel  # the e-mail preview's subject
    assert "SMS" in panel and "Send the SMS" in panel and "Send the e-mail" in panel
    assert "Twilio is not configured: the SMS will stay in the outbox." in panel
    assert "promise_reminder" not in panel  # no promise to remind of


def test_blocked_channels_say_why_and_offer_no_send_button(client, db_session, case, closed_hours, login_as):
    point(case, "email").opted_out_at = utcnow()
    db_session.commit()
    sign_in(login_as, db_session)
    panel = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True))
    sms_part, email_part = panel.split(' id="messaging-email"')
    assert 'data-testid="messaging-blocked"' in sms_part and "Outside the contact hours" in sms_part
    assert "Allowed from" in sms_part  # refused for the hour: the preview stays, the button goes
    assert 'data-testid="message-preview"' in sms_part and "Send the SMS" not in sms_part
    assert 'data-testid="messaging-blocked"' in email_part and "opted out" in email_part
    assert "Send the e-mail" not in email_part and 'data-testid="message-preview"' not in email_part
    assert f'line-through">{ADDRESS}</span>' in email_part  # the address itself is refused


def test_an_opted_out_mobile_is_named_as_such_beside_a_landline(client, db_session, case, open_hours, login_as):
    mobile = point(case, "phone")
    mobile.is_primary = False
    factories.contact(case.debtor, "phone", "+33478123456", label="fixe", is_primary=True)  # cannot take a text
    opt_out(mobile, actor=None, source="sms_reply")
    db_session.commit()
    sign_in(login_as, db_session)
    sms_part = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True)).split(' id="messaging-email"')[0]
    blocked = sms_part.split('data-testid="messaging-blocked"', 1)[1].split("</div>", 2)[0]
    assert "Opted out" in blocked and "Not a mobile number" not in blocked
    assert "Send the SMS" not in sms_part


def test_client_users_see_no_panel_and_cannot_send(client, db_session, case, open_hours, login_as):
    sign_in(login_as, db_session, "client", client_row=case.client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="messaging"' not in page
    response = client.post(f"/cases/{case.id}/messages/sms", data={"sms-template": "reminder"})
    assert response.status_code in (400, 403)  # refused, by CSRF or permission, and nothing sent
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 0


def test_a_collector_sends_an_sms_from_the_case_screen(client, db_session, case, open_hours, login_as):
    sign_in(login_as, db_session)
    page = send(client, case, "sms", template="reminder", contact_point_id=point(case, "phone").id)
    assert "SMS kept in the outbox" in page.get_data(as_text=True)
    action = db_session.scalar(sa.select(Action).where(Action.case_id == case.id))
    message = db_session.get(SmsMessage, action.sms_message_id)
    assert message.to_number == MOBILE and case.reference in message.body
    panel = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'data-testid="messaging-recent"' in panel and "not sent (outbox)" in panel


def test_a_collector_sends_an_email_through_smtp(client, db_session, case, smtp_server, login_as):
    sign_in(login_as, db_session)
    page = send(client, case, "email", template="reminder", contact_point_id=point(case, "email").id)
    assert "E-mail sent." in page.get_data(as_text=True)
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [[ADDRESS]]


def test_a_recipient_not_allowed_now_cannot_be_forced(client, db_session, case, open_hours, login_as):
    point(case, "phone").opted_out_at = utcnow()
    landline = factories.contact(case.debtor, "phone", "+33478000000")
    db_session.commit()
    sign_in(login_as, db_session)
    for target in (point(case, "phone").id, landline.id):
        page = send(client, case, "sms", template="reminder", contact_point_id=target)
        assert "nothing was sent" in page.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0


def test_a_hold_shows_in_the_panel_and_blocks_sending(client, db_session, case, open_hours, login_as):
    db_session.add(Hold(debtor_id=case.debtor_id, kind="deceased"))
    db_session.commit()
    sign_in(login_as, db_session)
    panel = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert panel.count('data-testid="messaging-blocked"') == 2 and "deceased" in panel


def test_unsubscribe_asks_then_opts_the_address_out(client, db_session, case):
    address = point(case, "email")
    twin = factories.contact(factories.debtor(), "email", ADDRESS)
    db_session.commit()
    url = f"/unsubscribe/{sign_id(UNSUBSCRIBE, address.id)}"
    page = client.get(url).get_data(as_text=True)
    assert "j" + "•" * 12 + "@example.com" in page and 'type="submit"' in page
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    assert db_session.get(ContactPoint, address.id).opted_out_at is None
    done = client.post(url, data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert done.status_code == 200 and 'data-testid="unsubscribed"' in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(ContactPoint, address.id).opted_out_at is not None
    assert db_session.get(ContactPoint, twin.id).opted_out_at is not None


def test_links_with_a_bad_signature_lead_nowhere(client, db_session, case):
    phone = point(case, "phone")
    for url in (f"/unsubscribe/{sign_id(PORTAL, point(case, 'email').id)}",  # a portal token
                f"/unsubscribe/{sign_id(UNSUBSCRIBE, phone.id)}",  # a phone is not unsubscribed by link
                "/unsubscribe/12.forged", f"/d/{sign_id(UNSUBSCRIBE, case.id)}", "/d/nothing"):
        assert client.get(url).status_code == 404, url


def test_an_old_stateless_link_says_it_has_expired_in_the_debtor_language(client, db_session, case):
    """The first links (signed case ids) could neither expire nor be revoked: they open nothing now."""
    case.debtor.language = "en"
    db_session.commit()
    response = client.get(f"/d/{sign_id(PORTAL, case.id)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and 'lang="en"' in page
    assert "This link has expired" in page and case.reference in page and "04 78 00 00 01" in page
    assert "Boulangerie Dupain SAS" not in page  # a link that opens nothing names no creditor
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_outbox_lists_emails_beside_text_messages(client, db_session, case, open_hours, login_as):
    from cases.messaging.email import send_case_email
    from cases.messaging.sms import send_case_sms

    send_case_sms(case, "reminder", actor=None)
    send_case_email(case, "reminder", actor=None)
    db_session.commit()
    sign_in(login_as, db_session)
    page = client.get("/outbox").get_data(as_text=True)
    assert 'data-testid="outbox-emails"' in page and ADDRESS in page
    subject = db_session.scalar(sa.select(EmailMessage.subject))
    assert subject in page and MOBILE in page


def test_the_hour_is_named_before_a_landline_when_both_refuse(client, db_session, case, closed_hours, login_as):
    factories.contact(case.debtor, "phone", "+33478123456", is_primary=True)  # a landline
    point(case, "phone").is_primary = False
    db_session.commit()
    sign_in(login_as, db_session)
    sms_part = panel_of(client.get(f"/cases/{case.id}").get_data(as_text=True)).split(' id="messaging-email"')[0]
    alert = re.search(r'data-testid="messaging-blocked">(.*?)</div>\s*</div>', sms_part, re.S).group(1)
    assert "Outside contact hours" in alert and "Not a mobile number" not in alert
    refused = re.search(r'data-testid="messaging-refused">(.*?)</ul>', sms_part, re.S).group(1)
    assert "Not a mobile number" in refused and "Outside contact hours" not in refused  # listed apart
