"""Credit notes: a `credit_note` entry on the invoice, interest computed again on the reduced principal from
its date, the amount bounded by what is left of the invoice, the case closed when nothing is left."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from cases.closing.credit_notes import CreditNoteError, post_credit_note, principal_left
from cases.interest.posting import post_interest
from cases.interest.rules import explain
from cases.ledger import balance
from cases.models import Case, LedgerEntry
from cases.models.recall import CreditNote
from tests import factories
from tests.cases.interest.helpers import business_case, pay_principal
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def posted_interest(claim) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
                             .where(LedgerEntry.claim_id == claim.id, LedgerEntry.kind == "interest"))


def test_interest_after_a_credit_note_runs_on_the_reduced_principal(db_session):
    case = business_case([(100_000, date(2026, 1, 15))], claims_indemnity=False)
    claim = case.claims[0]
    post_interest(date(2026, 12, 7), [case.id])
    before = posted_interest(claim)
    assert before > 0
    client_user = factories.user("client", client=case.client)

    note = post_credit_note(case, claim_id=claim.id, amount_cents=60_000, reference="AV-2026-118",
                            issued_on=date(2026, 9, 30), actor=client_user)
    entry = db.session.get(LedgerEntry, note.entry_id)
    assert (entry.kind, entry.amount_cents, entry.claim_id, entry.effective_on) == (
        "credit_note", -60_000, claim.id, date(2026, 9, 30))
    [interest] = explain(case, date(2026, 12, 7))
    assert {p.principal_cents for p in interest.periods if p.end <= date(2026, 9, 30)} == {100_000}
    assert {p.principal_cents for p in interest.periods if p.start >= date(2026, 10, 1)} == {40_000}
    # Posted again at once: what runs from 1 October on 40,000 instead of 100,000 comes off as a correction.
    assert posted_interest(claim) == interest.total_cents < before
    corrections = db.session.scalars(sa.select(LedgerEntry.amount_cents).where(
        LedgerEntry.claim_id == claim.id, LedgerEntry.kind == "interest", LedgerEntry.amount_cents < 0)).all()
    assert len(corrections) == 1
    assert principal_left(case) == {claim.id: 40_000} and case.status != "closed"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "credit_note.posted"))
    assert event.after["reference"] == "AV-2026-118" and event.actor_id == client_user.id


def test_the_amount_is_bounded_by_what_is_left_of_the_invoices_principal(db_session):
    case = business_case([(50_000, date(2026, 6, 1)), (30_000, date(2026, 6, 1))])
    first, second = case.claims
    pay_principal(case, first, 20_000, date(2026, 11, 2))
    manager = factories.user("manager")
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    with pytest.raises(CreditNoteError) as refused:
        post_credit_note(case, claim_id=first.id, amount_cents=30_001, reference="AV-1", issued_on=date(2026, 12, 1),
                         actor=manager, via="staff")
    assert refused.value.field == "amount" and first.invoice_number in str(refused.value)
    assert "300,00" in str(refused.value)
    for claim_id, amount, reference, issued_on, field in [
        (second.id + 999, 100, "AV-1", date(2026, 12, 1), "claim"),
        (first.id, 0, "AV-1", date(2026, 12, 1), "amount"),
        (first.id, 100, " ", date(2026, 12, 1), "reference"),
        (first.id, 100, "AV-1", date(2026, 12, 8), "issued_on"),
    ]:
        with pytest.raises(CreditNoteError) as refused:
            post_credit_note(case, claim_id=claim_id, amount_cents=amount, reference=reference, issued_on=issued_on,
                             actor=manager, via="staff")
        assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == entries

    post_credit_note(case, claim_id=first.id, amount_cents=30_000, reference="AV-1", issued_on=date(2026, 12, 1),
                     actor=manager, via="staff")
    assert principal_left(case) == {first.id: 0, second.id: 30_000} and case.status != "closed"


def test_a_case_with_nothing_left_closes_with_the_credit_note_reason(db_session):
    case = factories.case(amounts=(25_000,))
    case.status = "active"
    client_user = factories.user("client", client=case.client)
    post_credit_note(case, claim_id=case.claims[0].id, amount_cents=25_000, reference="AV-TOTAL",
                     issued_on=date(2026, 12, 7), actor=client_user)
    assert case.status == "closed" and case.closed_reason == "credit_note"
    assert balance(case.id).outstanding == 0
    with pytest.raises(CreditNoteError):
        post_credit_note(case, claim_id=case.claims[0].id, amount_cents=1, reference="AV-2",
                         issued_on=date(2026, 12, 7), actor=client_user)


def test_the_client_posts_a_credit_note_from_its_portal_and_staff_record_one(app, db_session):
    case = factories.case(amounts=(80_000,))
    case.status = "active"
    other = factories.case(amounts=(10_000,))
    client_user = factories.user("client", client=case.client)
    collector = factories.user("collector")
    db_session.commit()
    claim = case.claims[0]

    browser = signed_in(app, client_user)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="credit-note"' in page and claim.invoice_number in page
    token = csrf_token(browser, f"/cases/{case.id}")
    form = {"csrf_token": token, "claim": str(claim.id), "amount": "150,00", "reference": "AV-77",
            "issued_on": "2026-12-01"}
    assert browser.post(f"/cases/{other.id}/credit-notes",
                        data=form | {"claim": str(other.claims[0].id)}).status_code == 404
    assert browser.post(f"/cases/{case.id}/credit-notes", data=form | {"csrf_token": ""}).status_code == 400
    browser.post(f"/cases/{case.id}/credit-notes", data=form | {"amount": "900,00"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditNote)) == 0
    refused = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Montant de l&#39;avoir" in refused or "Montant de l'avoir" in refused

    assert browser.post(f"/cases/{case.id}/credit-notes", data=form).status_code == 302
    note = db.session.scalar(sa.select(CreditNote))
    assert (note.amount_cents, note.received_via, note.reference) == (15_000, "portal", "AV-77")

    staff = signed_in(app, collector)
    token = csrf_token(staff, f"/cases/{case.id}")
    staff.post(f"/cases/{case.id}/credit-notes", data=form | {"csrf_token": token, "amount": "650,00",
                                                              "reference": "AV-78"})
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "closed"
    assert [n.received_via for n in db.session.scalars(sa.select(CreditNote).order_by(CreditNote.id))] == [
        "portal", "staff"]
    assert "AV-78" in staff.get(f"/cases/{case.id}").get_data(as_text=True)
