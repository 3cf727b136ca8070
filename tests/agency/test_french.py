"""French elision in letters and messages: "pour le compte d'Énergia", never "de Énergia"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agency.french import elide
from cases import ledger
from cases.letters.documents import amounts_due, postal_address, recipient_snapshot, render_letter
from cases.messaging.templates import render_message
from cases.models import Letter
from tests import factories
from tests.cases.letters.reading import flat, pdf_text


@pytest.mark.no_db
@pytest.mark.parametrize(("word", "following", "written"), [
    ("de", "Énergia", "d'"), ("de", "Total", "de "), ("de", "avril", "d'"), ("de", "octobre", "d'"),
    ("de", "Hermès", "d'"), ("de", "Hachette Livre", "de "), ("de", "Yves Rocher", "d'"),
    ("de", "Yoplait", "de "), ("de", "Œuvres du Nord", "d'"), ("de", "Île-de-France Énergie", "d'"),
    ("de", "Âge d'or SARL", "d'"), ("de", "« Orange »", "d'"), ("de", "3M France", "de "),
    ("le", "Ulysse", "l'"), ("que", "Isabelle", "qu'"), ("De", "Axa", "D'"), ("de", "", "de "),
    ("de", None, "de "), ("pour", "Énergia", "pour "),
])
def test_elide(word, following, written):
    assert elide(word, following) == written


def test_letters_and_messages_elide_before_a_vowel(db_session):
    factories.agency_profile(name="Intrum Lyon")  # the agency's name begins with a vowel too
    creditor = factories.client(name="Énergia SA")
    debtor = factories.debtor(title="Mme", first_name="Jeanne", last_name="Martin")
    factories.contact(debtor, "email", "jeanne.martin@example.com")
    case = factories.case(creditor, debtor, amounts=(100_000, 23_456))
    address = factories.postal_address(debtor)
    notice = Letter(case=case, kind="formal_notice", reference="T-1", language="fr", currency="EUR",
                    issued_on=date(2026, 12, 7), pay_by=date(2026, 12, 7) + timedelta(days=8),
                    recipient=recipient_snapshot(debtor, postal_address(debtor) or address, "fr"))
    amounts = amounts_due(ledger.balance(case.id))
    text = flat(pdf_text(render_letter(notice, factories.agency_profile(), amounts, draft=True), layout=False))
    assert "pour le compte d'Énergia SA" in text and "de Énergia" not in text
    assert "à l'ordre d'Intrum Lyon" in text and "sur le compte d'Intrum Lyon" in text
    assert "Elle concerne les factures suivantes" in text and "concerne des factures" not in text

    email = render_message(case, "email", "reminder")
    assert "pour le compte d'Énergia SA" in email.body
