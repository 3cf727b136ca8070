"""Disputes: opening one stops contact on the case and tells the client; a manager resolves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.message_models import EmailMessage
from agency.models import AuditEvent
from cases.contact_rules import may_contact
from cases.models import Case
from cases.work import WorkError
from cases.work.disputes import decision_of, open_dispute, open_dispute_of, resolve_dispute
from cases.work.promises import Instalment, record_promises
from cases.work.strategy import advance_strategy
from debtors.models import Hold
from tests import factories
from tests.cases.work.conftest import TUESDAY_11
from tests.conftest import csrf_token

REASON = "La facture F-1203 a été réglée par chèque le 3 mars"


@pytest.fixture(autouse=True)
def half_past_ten_on_tuesday(time_machine):
    """The clock at 10:30 Paris on TUESDAY_11, so that what happens 'now' precedes the checks at 11:00."""
    time_machine.move_to(TUESDAY_11 - timedelta(minutes=30))


@pytest.fixture
def case(db_session):
    creditor = factories.client(email="compta@creancier.example.com")
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678", is_primary=True)
    row = factories.case(client_row=creditor, debtor_row=debtor, amounts=(80_000,), client_reference="C-77")
    db_session.flush()
    return row


def emails_to(address: str) -> list[EmailMessage]:
    return db.session.scalars(sa.select(EmailMessage).where(EmailMessage.to_address == address)
                              .order_by(EmailMessage.id)).all()


def test_opening_a_dispute_holds_the_case_and_tells_the_client(case):
    promise = record_promises(case, [Instalment(10_000, today() + timedelta(days=5))], actor=None)[0]
    hold = open_dispute(case, actor=None, reason=REASON)
    db.session.flush()
    assert (hold.kind, hold.case_id, hold.debtor_id, hold.reason) == ("dispute", case.id, case.debtor_id, REASON)
    assert case.status == "dispute" and case.next_action_at is None
    assert promise.status == "cancelled"
    assert may_contact(case, "phone", at=TUESDAY_11).reason == "hold_dispute"
    assert may_contact(case, "phone", at=TUESDAY_11, about_dispute=True).allowed
    [email] = emails_to("compta@creancier.example.com")
    assert case.reference in email.subject and REASON in email.body and "C-77" in email.body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispute.opened"))
    assert event.client_id == case.client_id and event.after["reason"] == REASON


def test_a_dispute_on_one_case_leaves_the_debtors_other_cases_alone(case):
    other = factories.case(client_row=case.client, debtor_row=case.debtor)
    open_dispute(case, actor=None, reason=REASON)
    assert may_contact(other, "phone", at=TUESDAY_11).allowed


def test_a_dispute_needs_a_reason_and_is_opened_once(case):
    with pytest.raises(WorkError) as refused:
        open_dispute(case, actor=None, reason="   ")
    assert refused.value.field == "reason"
    open_dispute(case, actor=None, reason=REASON)
    with pytest.raises(WorkError):
        open_dispute(case, actor=None, reason=REASON)


@pytest.mark.parametrize(("decision", "status", "queued"), [("rejected", "active", True), ("upheld", "dispute", False)])
def test_a_manager_resolves_the_dispute_and_the_client_is_told_again(case, decision, status, queued):
    """Rejected, collection resumes; upheld, the case waits uncontacted for the client's decision."""
    manager = factories.user("manager")
    hold = open_dispute(case, actor=None, reason=REASON)
    with pytest.raises(WorkError):
        resolve_dispute(hold, actor=manager, decision=decision, resolution=" ")
    resolve_dispute(hold, actor=manager, decision=decision, resolution="Chèque jamais encaissé")
    db.session.flush()
    assert hold.ended_at is not None and hold.ended_by_id == manager.id
    assert hold.resolution == "Chèque jamais encaissé"
    assert case.status == status and (case.next_action_at is not None) is queued
    assert open_dispute_of(case) is None and decision_of(hold) == decision
    assert may_contact(case, "phone", at=TUESDAY_11).allowed is queued
    opened, resolved = emails_to("compta@creancier.example.com")
    assert "Chèque jamais encaissé" in resolved.body
    with pytest.raises(WorkError):
        resolve_dispute(hold, actor=manager, decision=decision, resolution="encore")


def test_without_a_client_address_its_users_are_told(case):
    case.client.email = ""
    user = factories.user("client", client=case.client)
    open_dispute(case, actor=None, reason=REASON)
    assert len(emails_to(user.email)) == 1


def test_a_disputed_case_does_not_advance_in_the_strategy(case):
    open_dispute(case, actor=None, reason=REASON)
    assert advance_strategy(TUESDAY_11)["cases"] == 0
    assert case.strategy_step == 0


def test_the_client_user_sees_the_dispute_and_its_reason(client, login_as, case):
    open_dispute(case, actor=None, reason=REASON)
    db.session.commit()
    login_as("client", client_row=case.client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="dispute-open"' in page and REASON in page
    assert 'data-testid="dispute-resolve"' not in page
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/dispute/resolve",
                           data={"csrf_token": token, "decision": "rejected", "resolution": "x"})
    assert response.status_code == 403


def test_a_collector_opens_and_a_manager_resolves_through_the_pages(client, login_as, case, app):
    login_as("collector")
    token = csrf_token(client, f"/cases/{case.id}/dispute")
    assert client.post(f"/cases/{case.id}/dispute", data={"csrf_token": token, "reason": ""}).status_code == 400
    response = client.post(f"/cases/{case.id}/dispute", data={"csrf_token": token, "reason": REASON})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "dispute"
    assert client.post(f"/cases/{case.id}/dispute/resolve",
                       data={"csrf_token": token, "decision": "rejected", "resolution": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login_as("manager")
    token = csrf_token(client, f"/cases/{case.id}")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="dispute-resolve"' in page
    response = client.post(f"/cases/{case.id}/dispute/resolve",
                           data={"csrf_token": token, "decision": "rejected", "resolution": "Dette confirmée"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "active"
    assert db.session.scalar(sa.select(Hold.resolution).where(Hold.case_id == case.id)) == "Dette confirmée"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="dispute-resolved"' in page and "Dette confirmée" in page
