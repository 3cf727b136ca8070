"""Letters as the debtor receives them: read back from the PDF with pdftotext."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.models import AuditEvent
from agency.money import format_money
from cases.interest.sql import accrued_by_claim
from cases.ledger import Balance, post_entry
from cases.letters.documents import amounts_due
from cases.letters.letters import (
    LetterError,
    LetterOutOfOrder,
    LetterRefused,
    approve_letter,
    create_letter,
    first_notice_of,
    reject_letter,
)
from cases.letters.storage import documents_dir
from cases.models import Action, EntryKind, Letter
from cases.work.promises import Instalment, record_promises
from debtors.models import Hold
from tests import factories
from tests.cases.letters.reading import flat, page_count, pdf_text, word_box

# Article L111-8 CPCE, paragraphs 2 and 3, as R124-4 requires them reproduced (verbatim).
L111_8 = flat(
    "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier, sauf "
    "s'ils concernent un acte dont l'accomplissement est prescrit par la loi au créancier. Toute "
    "stipulation contraire est réputée non écrite, sauf disposition législative contraire. "
    "Cependant, le créancier qui justifie du caractère nécessaire des démarches entreprises pour "
    "recouvrer sa créance peut demander au juge de l'exécution de laisser tout ou partie des frais "
    "ainsi exposés à la charge du débiteur de mauvaise foi."
)
# Words that would make a letter look like a judicial act (C. pén. 433-13).
JUDICIAL = ("commandement", "huissier", "signification", "formule exécutoire", "république française",
            "au nom du peuple", "commissaire de justice")


def money(cents: int, locale: str = "fr_FR") -> str:
    return flat(format_money(cents, "EUR", locale=locale))


def short(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def pdf_of(letter: Letter) -> bytes:
    return (documents_dir() / letter.file_path).read_bytes()


@pytest.fixture
def case(db_session):
    """A business case with two invoices, interest and the €40 indemnity on its ledger, and an address.

    The interest and indemnity are entered by hand, so the mandate does not ask for them to be computed.
    """
    factories.agency_profile()
    client = factories.client(name="Boulangerie Dupain SAS", address_line2="Bâtiment C")
    client.mandates[0].claims_penalties = client.mandates[0].claims_indemnity = False
    debtor = factories.debtor("company", company_name="Garage Martin SARL")
    factories.postal_address(debtor, address_line1="8 avenue Jean Jaurès", postcode="69007", city="Lyon")
    row = factories.case(client, debtor, amounts=(123_456, 50_000), kind="b2b", client_reference="C-1001")
    post_entry(row, EntryKind.INTEREST, 2_345, date(2026, 3, 1), description="Pénalités de retard")
    post_entry(row, EntryKind.INDEMNITY, 4_000, date(2026, 3, 1), description="Indemnité forfaitaire")
    db_session.flush()
    return row


def test_first_notice_carries_every_r124_4_mention(case):
    letter = create_letter(case, "first_notice", actor=None)
    text = pdf_text(pdf_of(letter))
    agency = factories.agency_profile()
    # 1. The agency: name, address, and that it does amicable debt collection.
    assert agency.name in text and "5 quai Saint-Antoine, 69002 Lyon" in text
    assert f"{agency.name}, 5 quai Saint-Antoine, 69002 Lyon, exerce une activité de recouvrement amiable" in text
    # 2. The creditor: name and address.
    assert "Boulangerie Dupain SAS, 1 rue de la Paix, Bâtiment C, 75002 Paris" in text
    # 3. The basis of the debt (each invoice) and the amount split into principal, interest, other sums.
    for claim in case.claims:
        row = f"{claim.invoice_number} {short(claim.issue_date)} {short(claim.due_date)} {money(claim.amount_cents)}"
        assert row in text
    assert f"Principal {money(173_456)}" in text
    assert f"Intérêts {money(2_345)}" in text
    assert f"Autres sommes {money(4_000)}" in text
    assert f"Total à régler {money(179_801)}" in text
    # 4. The demand to pay and the means of payment: transfer to the trust account with the reference, cheque.
    assert f"Nous vous demandons de régler la somme de {money(179_801)} au plus tard le" in text
    assert "IBAN FR76 3000 4008 0500 0112 2334 433" in text and "BIC BNPAFRPP" in text
    assert f"en indiquant en libellé la référence {case.reference}" in text
    assert f"Par chèque à l'ordre de {agency.name}" in text
    # 5. Article L111-8 CPCE, paragraphs 2 and 3, verbatim.
    assert L111_8 in text
    # The footer's legal details, the letter's date and place, its reference.
    assert "RCS Lyon 831 457 296" in text and "Assureur Exemple SA, police RCP 555 123" in text
    assert f"Lyon, le {today().day}" in text and letter.reference in text
    assert not any(word in text.lower() for word in JUDICIAL)


def test_letter_records_what_it_printed(case):
    letter = create_letter(case, "first_notice", actor=None)
    assert (letter.status, letter.kind, letter.language) == ("issued", "first_notice", "fr")
    assert (letter.principal_cents, letter.interest_cents, letter.other_cents) == (173_456, 2_345, 4_000)
    assert letter.reference == f"{case.reference}-L1"
    assert letter.issued_on == today() and letter.pay_by == today() + timedelta(days=15)
    assert letter.recipient["lines"] == ["Garage Martin SARL", "8 avenue Jean Jaurès", "69007 LYON"]
    assert first_notice_of(case) == letter
    action = letter_action(letter)
    assert (action.kind, action.channel, action.status) == ("letter", "post", "done")
    assert action.contact_point_id == letter.recipient["contact_point_id"]
    issued = audit_events(letter, "letter.issued")
    assert issued and issued[0].after["sha256"] == letter.sha256


def test_stored_file_matches_its_hash_and_is_never_overwritten(case):
    letter = factories.letter(case, days_ago=20)  # its deadline has passed: a reminder may follow
    path = documents_dir() / letter.file_path
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == letter.sha256 and len(data) == letter.size_bytes
    assert path.is_relative_to(documents_dir()) and not path.stat().st_mode & 0o222  # read-only
    assert letter.sha256[:16] in path.name and letter.reference in path.name
    reminder = create_letter(case, "reminder", actor=None)
    assert reminder.file_path != letter.file_path and path.read_bytes() == data


def test_pages_are_numbered_and_the_address_sits_in_the_window(case):
    data = pdf_of(create_letter(case, "first_notice", actor=None))
    pages = page_count(data)
    assert pages >= 2
    for page in range(1, pages + 1):
        assert f"Page {page} / {pages}" in pdf_text(data, first=page, last=page)
    left, top = word_box(data, "Garage")
    assert 98 <= left <= 110 and 45 <= top <= 60  # a DL envelope's right-hand window


def test_later_letters_repeat_the_first_notice_reference_and_date(case, db_session):
    first = create_letter(case, "first_notice", actor=None)
    first.issued_on, first.pay_by = date(2026, 3, 2), date(2026, 3, 17)  # as if sent earlier
    reminder = create_letter(case, "reminder", actor=None)
    text = pdf_text(pdf_of(reminder))
    assert reminder.first_notice == first and reminder.reference == f"{case.reference}-L2"
    assert f"Par notre courrier du 2 mars 2026 (référence {first.reference})" in text
    assert f"Premier courrier {first.reference} du 02/03/2026" in text
    assert f"Total à régler {money(179_801)}" in text and L111_8 in text


def test_a_reminder_without_first_notice_is_issued_as_the_first_notice(case):
    letter = create_letter(case, "reminder", actor=None)
    assert letter.kind == "first_notice" and letter.first_notice is None
    assert L111_8 in pdf_text(pdf_of(letter))


def test_formal_notice_needs_a_first_notice_and_only_one_first_notice(case):
    with pytest.raises(LetterError, match="premier courrier avant une mise en demeure"):
        create_letter(case, "formal_notice", actor=None)
    create_letter(case, "first_notice", actor=None)
    with pytest.raises(LetterError, match="a déjà été envoyé le .*: un dossier n’en a qu’un"):
        create_letter(case, "first_notice", actor=None)


def test_formal_notice_waits_for_a_manager_then_is_issued(case, db_session):
    manager = factories.user("manager")
    first = factories.letter(case, days_ago=20)  # its deadline has passed
    notice = create_letter(case, "formal_notice", actor=None)
    assert notice.status == "pending_approval" and notice.file_path == "" and notice.issued_on is None
    action = letter_action(notice)
    assert (action.kind, action.status, action.done_at) == ("formal_notice", "pending_approval", None)
    assert audit_events(notice, "letter.proposed")
    with pytest.raises(LetterError, match="attend déjà sa validation"):
        create_letter(case, "formal_notice", actor=None)

    approve_letter(notice, actor=manager)
    assert notice.status == "issued" and notice.decided_by == manager and notice.issued_on == today()
    assert notice.pay_by == today() + timedelta(days=8)
    assert (action.status, action.done_at is not None) == ("done", True)
    assert audit_events(notice, "letter.approved")
    text = pdf_text(pdf_of(notice))
    assert "Mise en demeure de payer" in text and "nous vous mettons en demeure" in text
    assert f"Principal {money(173_456)}" in text and f"Intérêts {money(2_345)}" in text
    assert f"Autres sommes {money(4_000)}" in text and f"Total à régler {money(179_801)}" in text
    assert f"{money(179_801)} au plus tard le" in text and "IBAN FR76 3000" in text
    assert "Malgré notre courrier du" in text and f"(référence {first.reference})" in text
    assert "demander en justice le paiement" in text
    assert not any(word in text.lower() for word in JUDICIAL)
    with pytest.raises(LetterError, match="n’attend pas de validation"):
        approve_letter(notice, actor=manager)


def test_manager_rejects_a_formal_notice_with_a_note(case):
    manager = factories.user("manager")
    factories.letter(case, days_ago=20)
    notice = create_letter(case, "formal_notice", actor=None)
    with pytest.raises(LetterError, match="Indiquez pourquoi"):
        reject_letter(notice, actor=manager, note="  ")
    reject_letter(notice, actor=manager, note="Le débiteur a appelé : échéancier en cours.")
    assert (notice.status, notice.decision_note, notice.decided_by) == (
        "rejected", "Le débiteur a appelé : échéancier en cours.", manager)
    assert letter_action(notice).status == "cancelled" and notice.file_path == ""
    assert audit_events(notice, "letter.rejected")
    assert create_letter(case, "formal_notice", actor=None).status == "pending_approval"  # may propose again


@pytest.mark.parametrize("kind", ["insolvency", "over_indebtedness", "deceased", "cease_communication"])
def test_a_hold_stops_letters_and_the_refusal_is_recorded(case, db_session, kind):
    db_session.add(Hold(debtor_id=case.debtor_id, kind=kind, reason="test"))
    db_session.flush()
    with pytest.raises(LetterRefused) as refused:
        create_letter(case, "first_notice", actor=None)
    assert refused.value.verdict.reason == f"hold_{kind}"
    blocked = refused.value.action
    assert (blocked.kind, blocked.channel, blocked.status, blocked.reason) == ("letter", "post", "blocked",
                                                                               f"hold_{kind}")
    assert db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == 0


def test_an_open_dispute_stops_letters_on_its_case(case, db_session):
    db_session.add(Hold(debtor_id=case.debtor_id, case_id=case.id, kind="dispute", reason="facture contestée"))
    db_session.flush()
    with pytest.raises(LetterRefused, match="Le dossier est contesté"):
        create_letter(case, "first_notice", actor=None)


def test_a_hold_opened_after_the_proposal_stops_the_approval(case, db_session):
    factories.letter(case, days_ago=20)
    notice = create_letter(case, "formal_notice", actor=None)
    db_session.add(Hold(debtor_id=case.debtor_id, kind="over_indebtedness", reason="dossier recevable"))
    db_session.flush()
    with pytest.raises(LetterRefused):
        approve_letter(notice, actor=factories.user("manager"))
    assert notice.status == "pending_approval" and notice.file_path == ""


def test_a_promise_made_after_the_proposal_stops_the_approval(case, db_session):
    factories.letter(case, days_ago=20)
    notice = create_letter(case, "formal_notice", actor=None)
    record_promises(case, [Instalment(10_000, today() + timedelta(days=5))], actor=None)
    with pytest.raises(LetterOutOfOrder) as refused:
        approve_letter(notice, actor=factories.user("manager"))
    assert refused.value.decision.reason == "promise_running"
    assert notice.status == "pending_approval" and notice.file_path == ""


def test_no_postal_address_is_a_clear_refusal(db_session):
    factories.agency_profile()
    case = factories.case()
    with pytest.raises(LetterRefused, match="pas d’adresse postale") as refused:
        create_letter(case, "first_notice", actor=None)
    assert refused.value.verdict.reason == "no_contact_point"
    assert refused.value.action.status == "blocked"


def test_a_returned_address_is_not_written_to(case, db_session):
    address = case.debtor.contact_points[0]
    address.status = "bounced"
    db_session.flush()
    with pytest.raises(LetterRefused) as refused:
        create_letter(case, "first_notice", actor=None)
    assert refused.value.verdict.reason == "wrong_contact"


def test_what_every_letter_needs_is_checked_first(case, db_session):
    case.status = "paid"
    with pytest.raises(LetterError, match="clos, payé ou passé au contentieux"):
        create_letter(case, "first_notice", actor=None)
    case.status = "active"
    factories.agency_profile().trust_iban = ""
    with pytest.raises(LetterError, match="profil de l’agence"):
        create_letter(case, "first_notice", actor=None)
    factories.agency_profile().trust_iban = "FR7630004008050001122334433"
    paid = -sum(c.amount_cents for c in case.claims) - 2_345 - 4_000
    post_entry(case, EntryKind.PAYMENT, paid, date(2026, 3, 5))
    db_session.flush()
    with pytest.raises(LetterError, match="Rien n’est dû"):
        create_letter(case, "first_notice", actor=None)


def test_a_strategy_step_never_sends_twice(case, db_session):
    first = create_letter(case, "first_notice", actor=None, strategy_step=1)
    again = create_letter(case, "first_notice", actor=None, strategy_step=1)
    assert again == first
    assert db_session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == 1
    assert letter_action(first).strategy_step == 1


def test_english_reader_gets_an_english_letter_with_the_french_law_text(db_session):
    factories.agency_profile()
    debtor = factories.debtor(first_name="John", last_name="Smith", title="Mr", language="en")
    factories.postal_address(debtor, address_line1="10 Baker Street", postcode="NW1 6XE", city="London",
                             country="GB")
    case = factories.case(debtor_row=debtor, amounts=(99_900,))
    letter = create_letter(case, "first_notice", actor=None)
    text = pdf_text(pdf_of(letter))
    assert letter.language == "en" and letter.recipient["lines"][-1] == "UNITED KINGDOM"
    assert "carries on amicable debt collection" in text and "Dear" not in text and "Sir," in text
    assert f"We ask you to pay {money(99_900, 'en_GB')} by" in text
    assert f"Principal {money(99_900, 'en_GB')}" in text and "Interest €0.00" in text
    assert L111_8 in text and "Translation for your information" in text


def test_payments_settle_interest_then_other_sums_then_principal():
    due = amounts_due(Balance(principal=100_000, interest=3_000, indemnity=4_000, paid=5_000))
    assert (due.principal, due.interest, due.other, due.total) == (100_000, 0, 2_000, 102_000)
    due = amounts_due(Balance(principal=100_000, interest=3_000, indemnity=4_000, costs=1_000, paid=10_000,
                              other_credits=20_000))
    assert (due.principal, due.interest, due.indemnity, due.costs) == (78_000, 0, 0, 0)
    assert due.total == Balance(100_000, 3_000, 4_000, 1_000, 10_000, 20_000).outstanding
    assert due.credits == 30_000


def test_the_amounts_printed_follow_the_ledger(case, db_session):
    post_entry(case, EntryKind.PAYMENT, -10_000, date(2026, 3, 5), description="Virement partiel")
    db_session.flush()
    letter = create_letter(case, "first_notice", actor=None)
    assert (letter.principal_cents, letter.interest_cents, letter.other_cents) == (169_801, 0, 0)
    text = pdf_text(pdf_of(letter))
    assert f"Principal {money(169_801)}" in text and f"Intérêts {money(0)}" in text
    assert f"déjà reçus, pour un total de {money(10_000)}" in text


def test_a_letter_prints_the_interest_posted_up_to_its_day(db_session):
    factories.agency_profile()
    client = factories.client()
    client.mandates[0].claims_indemnity = True
    debtor = factories.debtor("company", company_name="Garage Martin SARL")
    factories.postal_address(debtor)
    row = factories.case(client, debtor, amounts=(1_000_000,), kind="b2b")
    due = row.claims[0].due_date
    db_session.flush()
    letter = create_letter(row, "first_notice", actor=None)
    owed = accrued_by_claim([row.id], today())[row.claims[0].id]
    # Interest from the day after the due date, computed from the rate tables, and the €40 indemnity.
    assert (today() - due).days > 0 and owed > 0
    assert (letter.interest_cents, letter.other_cents) == (owed, 4_000)
    assert f"Intérêts {money(owed)}" in pdf_text(pdf_of(letter))


def letter_action(letter: Letter) -> Action:
    from agency.db import db

    return db.session.scalars(sa.select(Action).where(Action.letter_id == letter.id)).one()


def audit_events(letter: Letter, action: str) -> list[AuditEvent]:
    from agency.db import db

    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject_type == "letter", AuditEvent.subject_id == letter.id)))


def test_documents_folder_defaults_under_the_instance(app):
    assert Path(app.config["DOCUMENTS_DIR"]) == Path(app.config["INSTANCE_DIR"]) / "documents"
