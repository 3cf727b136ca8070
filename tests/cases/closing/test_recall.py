"""The client recalls a case: the agency keeps the commission on what it collected, the mandate's fee and
notice apply, a case in the judicial stage needs the client to confirm the consequences; the portal is
scoped to the client's own cases and protected by CSRF."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.models import AuditEvent
from cases.closing.recall import RecallError, close_due_recalls, recall_case
from cases.closing.recall_jobs import close_due_recalls_job
from cases.ledger import balance
from cases.models import Case, CaseClosing, Proceeding
from cases.models.recall import CaseRecall
from money.models import RemittanceLine
from money.remittances.statements import run_remittances
from tests import factories
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def recall_terms(case, *, fee: int = 0, notice: int = 0) -> None:
    mandate = case.client.mandates[0]
    mandate.recall_fee_cents, mandate.recall_notice_days = fee, notice
    db.session.flush()


def remittance_lines(case) -> list[RemittanceLine]:
    return db.session.scalars(sa.select(RemittanceLine).where(RemittanceLine.case_id == case.id)
                              .order_by(RemittanceLine.id)).all()


def test_a_recall_keeps_the_commission_on_what_was_collected_and_records_the_mandates_fee(db_session):
    case = factories.case(amounts=(100_000,))
    case.status = "active"
    recall_terms(case, fee=5_000)
    client_user = factories.user("client", client=case.client)
    payment = factories.payment(case, 20_000, received_on=date(2026, 11, 10))
    [statement] = run_remittances(date(2026, 11, 30), [case.client_id])
    [line] = remittance_lines(case)
    assert (line.kind, line.amount_cents, line.commission_cents) == ("payment", 20_000, 3_000)  # 15 % commission

    recall = recall_case(case, reason="Accord commercial direct avec le client", actor=client_user)
    assert recall.status == "closed" and (recall.fee_cents, recall.fee_vat_cents) == (5_000, 1_000)
    assert case.status == "closed" and case.closed_reason == "recalled"
    closing = db.session.get(CaseClosing, recall.closing_id)
    assert closing.written_off_cents == balance(case.id).other_credits and balance(case.id).outstanding == 0
    # Nothing remitted comes back: the payment keeps its commission and no reversal line follows; the next
    # statement charges the recall fee, once.
    assert (payment.commission_cents, payment.reversed_on) == (3_000, None)
    [december] = run_remittances(date(2026, 12, 31), [case.client_id])
    assert [line.kind for line in remittance_lines(case)] == ["payment", "recall_fee"]
    assert statement.commission_cents == 3_000
    assert (december.commission_cents, december.vat_cents, december.net_cents) == (5_000, 1_000, -6_000)
    assert run_remittances(date(2027, 1, 31), [case.client_id]) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.recalled"))
    assert event.actor_id == client_user.id and event.after["fee_cents"] == 5_000


def test_with_a_notice_the_case_closes_when_it_ends_and_payments_meanwhile_are_remitted(db_session, time_machine):
    case = factories.case(amounts=(50_000,))
    case.status = "active"
    recall_terms(case, notice=30)
    client_user = factories.user("client", client=case.client)
    recall = recall_case(case, reason="Le client reprend le dossier", actor=client_user)
    assert recall.status == "pending" and recall.effective_on == date(2026, 12, 7) + timedelta(days=30)
    assert case.status == "active"
    with pytest.raises(RecallError):  # once is enough
        recall_case(case, reason="encore", actor=client_user)

    time_machine.move_to("2026-12-20 15:00:00+01:00", tick=False)
    payment = factories.payment(case, 10_000, received_on=date(2026, 12, 20))  # the agency still works it
    assert close_due_recalls(recall.effective_on - timedelta(days=1)) == 0 and case.status == "active"
    run_remittances(date(2026, 12, 31), [case.client_id])
    assert [(line.kind, line.payment_id, line.commission_cents) for line in remittance_lines(case)] == [
        ("payment", payment.id, 1_500)]

    time_machine.move_to("2027-01-06 09:00:00+01:00", tick=False)
    assert close_due_recalls_job() == 1
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == "closed" and case.closed_reason == "recalled" and case.closed_on == date(2027, 1, 6)
    assert db.session.get(CaseRecall, recall.id).status == "closed"
    assert close_due_recalls_job() == 0  # a rerun does nothing


def test_a_case_in_the_judicial_stage_is_recalled_only_once_the_consequences_are_confirmed(db_session):
    case = factories.case(amounts=(300_000,))
    case.status = "escalated"
    proceeding = Proceeding(case_id=case.id, client_id=case.client_id, reference="JUD-RECALL-1",
                            route="order_judicial", suggested_route="order_judicial", stage="filed")
    db.session.add(proceeding)
    db.session.flush()
    client_user = factories.user("client", client=case.client)
    with pytest.raises(RecallError) as refused:
        recall_case(case, reason="Nous arrêtons la procédure", actor=client_user)
    assert refused.value.field == "judicial_confirmed" and "procédure s'arrête" in str(refused.value)
    assert case.status == "escalated" and proceeding.stage == "filed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseRecall)) == 0

    recall = recall_case(case, reason="Nous arrêtons la procédure", actor=client_user, judicial_confirmed=True)
    assert recall.judicial_confirmed and case.status == "closed" and case.closed_reason == "recalled"
    assert proceeding.stage == "withdrawn" and proceeding.steps[-1].kind == "withdrawn"


def test_a_recall_needs_a_reason_and_an_open_case(db_session):
    case = factories.case()
    client_user = factories.user("client", client=case.client)
    with pytest.raises(RecallError) as refused:
        recall_case(case, reason="  ", actor=client_user)
    assert refused.value.field == "reason"
    recall_case(case, reason="Réglé chez nous", actor=client_user)
    with pytest.raises(RecallError):
        recall_case(case, reason="Réglé chez nous", actor=client_user)


def test_the_client_recalls_from_its_portal_and_cannot_touch_another_clients_case(app, db_session):
    case = factories.case(amounts=(42_000,), client_reference="CLI-REF-9")
    case.status = "active"
    recall_terms(case, fee=2_500, notice=15)
    other = factories.case(amounts=(10_000,))
    client_user = factories.user("client", client=case.client)
    collector = factories.user("collector")
    db_session.commit()

    browser = signed_in(app, client_user)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="recall-case"' in page and "25,00" in page and 'data-testid="recall-judicial"' not in page
    assert browser.get(f"/cases/{other.id}").status_code == 404
    token = csrf_token(browser, f"/cases/{case.id}")
    assert browser.post(f"/cases/{other.id}/recall", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert browser.post(f"/cases/{case.id}/recall", data={"reason": "sans jeton"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseRecall)) == 0

    response = browser.post(f"/cases/{case.id}/recall", data={"csrf_token": token, "reason": "Litige commercial"})
    assert response.status_code == 302
    recall = db.session.scalar(sa.select(CaseRecall))
    assert (recall.case_id, recall.fee_cents, recall.effective_on) == (case.id, 2_500, today() + timedelta(days=15))
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="recall"' in page and 'data-testid="recall-fee"' in page

    staff = signed_in(app, collector)
    assert staff.post(f"/cases/{case.id}/recall", data={"csrf_token": csrf_token(staff, "/cases/"),
                                                        "reason": "x"}).status_code == 403
    history = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Litige commercial" in history
