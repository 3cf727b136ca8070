"""An upheld dispute waits for the client: the case stays on hold, uncontacted and out of the queue, until the
client posts a credit note, withdraws the claim (closed as `dispute_upheld`) or maintains it with its reason."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.message_models import EmailMessage
from agency.models import AuditEvent
from cases.closing.closing import close_case, reopen_case
from cases.closing.credit_notes import CreditNoteError, answer_decision, post_credit_note, waiting_decision
from cases.contact_rules import may_contact
from cases.models import Case
from cases.models.recall import ClientDecision
from cases.work.disputes import open_dispute, resolve_dispute
from cases.work.strategy import advance_strategy
from tests import factories
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token

TUESDAY_11 = datetime.fromisoformat("2026-12-08 11:00:00+01:00")


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


@pytest.fixture
def upheld(db_session):
    creditor = factories.client(email="compta@creancier.example.com")
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678", is_primary=True)
    case = factories.case(client_row=creditor, debtor_row=debtor, amounts=(60_000, 40_000))
    case.status = "active"
    hold = open_dispute(case, actor=None, reason="Marchandise jamais livrée")
    resolve_dispute(hold, actor=factories.user("manager"), decision="upheld", resolution="Bon de livraison absent")
    db.session.flush()
    return case


def test_the_upheld_case_waits_on_hold_and_the_client_is_asked(upheld):
    case = upheld
    decision = waiting_decision(case)
    assert decision is not None and decision.client_id == case.client_id
    assert case.status == "dispute" and case.next_action_at is None
    verdict = may_contact(case, "phone", at=TUESDAY_11)
    assert not verdict.allowed and verdict.reason == "hold_dispute"
    assert may_contact(case, "phone", at=TUESDAY_11, about_dispute=True).allowed
    assert advance_strategy(TUESDAY_11)["cases"] == 0
    resolved = db.session.scalars(sa.select(EmailMessage).where(
        EmailMessage.to_address == "compta@creancier.example.com").order_by(EmailMessage.id)).all()[-1]
    assert "avoir" in resolved.body.lower() and "Bon de livraison absent" in resolved.body


def test_maintained_with_a_reason_collection_resumes(upheld):
    case = upheld
    client_user = factories.user("client", client=case.client)
    decision = waiting_decision(case)
    with pytest.raises(CreditNoteError) as refused:
        answer_decision(decision, choice="maintained", reason=" ", actor=client_user)
    assert refused.value.field == "reason" and case.status == "dispute"
    answer_decision(decision, choice="maintained", reason="Livraison signée le 3 mars, bon joint", actor=client_user)
    assert decision.status == "maintained" and decision.answered_by_id == client_user.id
    assert case.status == "active" and case.next_action_at is not None
    assert may_contact(case, "phone", at=TUESDAY_11).allowed
    with pytest.raises(CreditNoteError):
        answer_decision(decision, choice="withdrawn", reason="", actor=client_user)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispute.client_decided"))
    assert event.after["answer"] == "Livraison signée le 3 mars, bon joint"


def test_withdrawn_the_case_closes_as_an_upheld_dispute(upheld):
    case = upheld
    answer_decision(waiting_decision(case), choice="withdrawn", reason="", actor=factories.user("client",
                                                                                              client=case.client))
    assert case.status == "closed" and case.closed_reason == "dispute_upheld"


def test_a_credit_note_answers_the_decision(upheld):
    case = upheld
    client_user = factories.user("client", client=case.client)
    first, second = case.claims
    post_credit_note(case, claim_id=first.id, amount_cents=60_000, reference="AV-9", issued_on=date(2026, 12, 7),
                     actor=client_user)
    assert db.session.scalar(sa.select(ClientDecision.status)) == "credit_note"
    assert case.status == "active" and case.next_action_at is not None  # the rest is still owed
    post_credit_note(case, claim_id=second.id, amount_cents=40_000, reference="AV-10", issued_on=date(2026, 12, 7),
                     actor=client_user)
    assert case.status == "closed" and case.closed_reason == "credit_note"


def test_the_client_sees_its_decisions_and_not_another_clients(app, upheld):
    case = upheld
    client_user = factories.user("client", client=case.client)
    stranger = factories.user("client", client=factories.client())
    db.session.commit()
    decision = waiting_decision(case)

    browser = signed_in(app, client_user)
    listing = browser.get("/decisions").get_data(as_text=True)
    assert case.reference in listing and 'data-testid="decisions-waiting"' in listing
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="decision-form"' in page

    other = signed_in(app, stranger)
    assert case.reference not in other.get("/decisions").get_data(as_text=True)
    token = csrf_token(other, "/decisions")
    assert other.post(f"/decisions/{decision.id}", data={"csrf_token": token, "choice": "withdrawn"}).status_code == 404

    token = csrf_token(browser, "/decisions")
    assert browser.post(f"/decisions/{decision.id}", data={"choice": "withdrawn"}).status_code == 400
    response = browser.post(f"/decisions/{decision.id}", data={"csrf_token": token, "choice": "maintained",
                                                               "reason": "Facture due, livraison prouvée"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "active"
    assert "Nothing waits" in browser.get("/decisions").get_data(as_text=True) or \
        "Aucune décision" in browser.get("/decisions").get_data(as_text=True)


def test_a_case_closed_meanwhile_no_longer_waits_for_the_clients_decision(upheld):
    case = upheld
    client_user = factories.user("client", client=case.client)
    decision = waiting_decision(case)
    close_case(case, "unfindable", actor=factories.user("manager"), evidence="Recherches négatives")
    assert waiting_decision(case) is None
    with pytest.raises(CreditNoteError):
        answer_decision(decision, choice="withdrawn", reason="", actor=client_user)
    assert decision.status == "waiting" and case.closed_reason == "unfindable"
    reopen_case(case, reason="Débiteur retrouvé", actor=factories.user("manager"))
    assert case.status == "dispute" and waiting_decision(case) is decision
