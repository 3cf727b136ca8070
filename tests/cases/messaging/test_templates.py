"""Message texts: amount from the ledger, reference, signed link, first notice, opt-out, language."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date

from cases.ledger import post_entry
from cases.messaging.links import PORTAL, UNSUBSCRIBE, read_id, sign_id
from cases.messaging.space_links import PREVIEW_TOKEN, new_token, preview_url
from cases.messaging.templates import (
    GSM_BASIC,
    GSM_EXTENDED,
    MessageError,
    available_templates,
    render_message,
    sms_parts,
    template_names,
)
from cases.models import EntryKind, Promise
from tests import factories
from tests.cases.messaging.conftest import first_notice


def plain(text: str) -> str:
    """E-mails keep the no-break spaces of French amounts; compare them as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_both_channels_have_the_reminder_and_promise_templates_in_french_and_english(app):
    for channel in ("sms", "email"):
        assert {"reminder", "promise_reminder"} <= set(template_names(channel))
        for language in ("fr", "en"):
            for name in ("reminder", "promise_reminder"):
                assert app.jinja_env.get_template(f"{channel}/{language}/{name}.txt").filename.endswith(
                    f"templates/{channel}/{language}/{name}.txt"
                )


def test_french_sms_reminder_has_amount_reference_link_and_stop(app, db_session, case):
    message = render_message(case, "sms", "reminder")
    assert message.language == "fr" and message.subject == ""
    body = message.body
    assert "Cabinet Recouvra pour Boulangerie Dupain SAS" in body
    assert case.reference in body
    assert "1234,56 €" in body  # no no-break spaces: they are not in the SMS alphabet
    assert "\u202f" not in body and "\u00a0" not in body
    assert body.endswith("Répondez STOP pour ne plus recevoir de SMS")
    link = next(word for word in body.split() if word.startswith("http"))
    assert link == preview_url()  # a preview issues no link: a stand-in as long as a real one
    assert "courrier" not in body  # no first notice yet
    token, url = new_token()
    assert url in render_message(case, "sms", "reminder", link=url).body and len(token) == len(PREVIEW_TOKEN)


def test_the_outstanding_amount_follows_the_ledger(app, db_session, case):
    post_entry(case, EntryKind.PAYMENT, -23_456, date(2026, 4, 1))
    db_session.flush()
    assert "1000,00 €" in render_message(case, "sms", "reminder").body


def test_later_messages_repeat_the_first_notice_reference_and_date(app, db_session, case):
    first_notice(db_session, case)
    sms = render_message(case, "sms", "reminder").body
    assert "Suite à notre courrier LR-2026-000042 du 2 mars 2026." in sms
    email = render_message(case, "email", "reminder").body
    assert "notre courrier réf. LR-2026-000042 du 2 mars 2026" in email


def test_the_first_notice_issued_by_the_letters_is_the_one_repeated(app, db_session, case):
    letter = factories.letter(case)  # rendered and stored like any first notice
    assert letter.kind == "first_notice" and letter.status == "issued"
    body = render_message(case, "sms", "reminder").body
    assert f"Suite à notre courrier {letter.reference} du {format_date(letter.issued_on, 'medium', locale='fr')}." in body


def test_stop_names_the_number_to_write_to_when_twilio_sends(app, db_session, case, fake_twilio):
    assert render_message(case, "sms", "reminder").body.endswith("STOP au 07 00 00 00 01")


def test_english_debtors_get_english_texts_and_others_french(app, db_session, case):
    case.debtor.language = "en"
    first_notice(db_session, case)
    sms = render_message(case, "sms", "reminder")
    assert sms.language == "en"
    assert "€1,234.56 outstanding" in sms.body and sms.body.endswith("Reply STOP to opt out")
    assert "Further to our letter LR-2026-000042 of Mar 2, 2026." in sms.body
    email = render_message(case, "email", "reminder")
    assert email.subject == f"File {case.reference} (Boulangerie Dupain SAS): €1,234.56 outstanding"
    assert email.body.startswith("Dear Mme Jeanne MARTIN,")
    case.debtor.language = "de"
    assert render_message(case, "sms", "reminder").language == "fr"


def test_email_has_subject_greeting_and_an_unsubscribe_link_for_the_address(app, db_session, case):
    address = next(cp for cp in case.debtor.contact_points if cp.kind == "email")
    message = render_message(case, "email", "reminder", contact_point=address)
    assert plain(message.subject) == f"Dossier {case.reference} (Boulangerie Dupain SAS) : 1 234,56 € restant dû"
    assert message.body.startswith("Bonjour Mme Jeanne MARTIN,")
    assert "société de recouvrement amiable, intervient pour le compte de Boulangerie Dupain SAS" in message.body
    assert "\n\n\n" not in message.body
    opt_out_line = message.body.splitlines()[-1]
    assert opt_out_line.startswith("Vous ne souhaitez plus recevoir de courriels de notre part ?")
    token = opt_out_line.rsplit("/", 1)[1]
    assert read_id(UNSUBSCRIBE, token) == address.id and read_id(PORTAL, token) is None


def test_promise_reminder_needs_a_pending_promise_and_names_it(app, db_session, case):
    assert "promise_reminder" not in available_templates(case, "sms")
    with pytest.raises(MessageError):
        render_message(case, "sms", "promise_reminder")
    db_session.add(Promise(case_id=case.id, amount_cents=50_000, due_on=date(2026, 12, 15)))
    assert "promise_reminder" in available_templates(case, "sms")
    body = render_message(case, "sms", "promise_reminder").body
    assert "le 15 déc. 2026 vous avez prévu de régler 500,00 €" in body and case.reference in body
    email = render_message(case, "email", "promise_reminder")
    assert plain(email.subject).startswith("Rappel : votre règlement de 500,00 € prévu le 15 décembre 2026")


def test_unknown_or_unsafe_template_names_are_refused(app, db_session, case):
    for name in ("nope", "../email/fr/reminder", "_stop"):
        with pytest.raises(MessageError):
            render_message(case, "sms", name)


def test_a_tampered_token_names_nothing(app):
    token = sign_id(PORTAL, 41)
    assert read_id(PORTAL, token) == 41
    assert read_id(PORTAL, "42" + token[2:]) is None
    assert read_id(PORTAL, "garbage") is None


def test_sms_parts_count_the_gsm_alphabet_and_unicode():
    assert sms_parts("a" * 160) == 1 and sms_parts("a" * 161) == 2 and sms_parts("a" * 307) == 3
    assert sms_parts("€" * 80) == 1 and sms_parts("€" * 81) == 2  # the euro sign takes two places
    assert sms_parts("é" * 160) == 1  # é is in the GSM alphabet
    assert sms_parts("ê" * 70) == 1 and sms_parts("ê" * 71) == 2  # ê is not: 70 per SMS


def test_the_french_sms_reminder_fits_the_gsm_alphabet(app, db_session, case, fake_twilio):
    first_notice(db_session, case)
    body = render_message(case, "sms", "reminder").body
    assert [c for c in body if c not in GSM_BASIC and c not in GSM_EXTENDED] == []
    assert sms_parts(body) == 2
