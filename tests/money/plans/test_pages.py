"""Plans on screen and on paper: the schedule form, the client's approval in the portal, the agreement letter."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from agency.clock import today
from agency.db import db
from agency.models import AuditEvent
from agency.money import format_money
from cases.letters.storage import documents_dir
from money.models import PaymentPlan
from money.plans.documents import render_agreement
from money.plans.plans import propose_plan, split
from tests import factories
from tests.cases.letters.reading import flat, pdf_text
from tests.conftest import csrf_token


def money(cents: int, locale: str = "fr_FR") -> str:
    return flat(format_money(cents, "EUR", locale=locale))


@pytest.fixture
def case(db_session):
    """A consumer case owing €1,200.00, an address, an issued first notice; the mandate allows no discount."""
    factories.agency_profile()
    client = factories.client(name="Énergie Verte SAS")
    debtor = factories.debtor(first_name="Paul", last_name="Durand", title="M")
    factories.postal_address(debtor, address_line1="3 rue Mercière", postcode="69002", city="Lyon")
    row = factories.case(client, debtor, amounts=(120_000,))
    factories.letter(row)
    db_session.commit()
    return row


def plan_of(case) -> PaymentPlan:
    return db.session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)).one()


def test_the_form_shows_the_schedule_then_agrees_the_plan(client, login_as, case, run_jobs):
    login_as("collector")
    url = f"/cases/{case.id}/plans/new"
    page = client.get(url).get_data(as_text=True)
    assert "1 200,00" in flat(page) and "Calculer l'échéancier" in page
    first = today() + timedelta(days=10)
    terms = {"csrf_token": csrf_token(client, url), "total": "1200,00", "count": "3",
             "first_due": first.isoformat(), "every": "month", "grace_days": "5"}
    shown = client.post(url, data={**terms, "show": "1"})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and 'data-testid="agree"' in text
    assert text.count('data-testid="instalment"') == 3 and 'value="400,00"' in text
    # The collector moves 100,00 from the last instalment to the first before agreeing.
    lines = {}
    for i, (due_on, cents) in enumerate(split(120_000, 3, first)):
        lines[f"instalments-{i}-amount"] = {0: "500,00", 2: "300,00"}.get(i, f"{cents // 100},00")
        lines[f"instalments-{i}-due_on"] = due_on.isoformat()
    agreed = client.post(url, data={**terms, **lines, "agree": "1"})
    assert agreed.status_code == 302, agreed.get_data(as_text=True)
    run_jobs()
    plan = plan_of(case)
    assert plan.status == "active" and [i.amount_cents for i in plan.instalments] == [50_000, 40_000, 30_000]
    assert plan.agreement_sha256 and (documents_dir() / plan.agreement_path).is_file()
    shown_case = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert plan.reference in shown_case and "Échéancier" in shown_case and "En cours" in shown_case
    pdf = client.get(f"/plans/{plan.id}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_a_schedule_that_does_not_add_up_is_shown_again_with_the_reason(client, login_as, case):
    login_as("collector")
    url = f"/cases/{case.id}/plans/new"
    first = today() + timedelta(days=10)
    data = {"csrf_token": csrf_token(client, url), "total": "1200,00", "count": "2",
            "first_due": first.isoformat(), "every": "month", "grace_days": "5",
            "instalments-0-amount": "600,00", "instalments-0-due_on": first.isoformat(),
            "instalments-1-amount": "500,00", "instalments-1-due_on": (first + timedelta(days=30)).isoformat(),
            "agree": "1"}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Les échéances totalisent 1 100,00" in flat(response.get_data(as_text=True))
    past = client.post(url, data={**data, "instalments-1-amount": "600,00",
                                  "instalments-0-due_on": (today() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "Échéance 1 : la date est passée." in past.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PaymentPlan.id))) == 0


def test_a_settlement_beyond_the_mandate_is_approved_by_the_client_in_the_portal(client, login_as, case, run_jobs):
    plan = propose_plan(case, instalments=split(100_000, 2, today() + timedelta(days=5)), total_cents=100_000,
                        actor=None)
    db.session.commit()
    assert plan.status == "awaiting_client" and plan.is_settlement
    login_as("client", case.client)
    listing = client.get("/plans/approvals").get_data(as_text=True)
    assert plan.reference in listing and "Abandonné une fois réglé" in listing and "200,00" in listing
    assert "200,00 € (16,7 %)" in flat(listing)
    token = csrf_token(client, "/plans/approvals")
    approved = client.post(f"/plans/{plan.id}/approve", data={"csrf_token": token, "note": "D'accord"})
    assert approved.status_code == 302
    run_jobs()
    db.session.refresh(plan)
    assert (plan.status, plan.decision_note) == ("active", "D'accord") and plan.decided_by_id is not None
    assert plan.case.status == "plan" and plan.agreement_sha256
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.approved")).one()
    assert event.actor_id == plan.decided_by_id
    # The client downloads the agreement of its own case.
    assert client.get(f"/plans/{plan.id}/agreement.pdf").status_code == 200


def test_the_client_refuses_with_a_note_and_cannot_reach_another_clients_plan(client, login_as, case):
    plan = propose_plan(case, instalments=split(100_000, 2, today() + timedelta(days=5)), total_cents=100_000,
                        actor=None)
    other_case = factories.case(amounts=(50_000,))
    other = propose_plan(other_case, instalments=split(40_000, 2, today() + timedelta(days=5)), total_cents=40_000,
                         actor=None)
    db.session.commit()
    login_as("client", case.client)
    token = csrf_token(client, "/plans/approvals")
    assert other.reference not in client.get("/plans/approvals").get_data(as_text=True)
    assert client.post(f"/plans/{other.id}/approve", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/plans/{other.id}/refuse", data={"csrf_token": token, "note": "Non"}).status_code == 404
    assert client.get(f"/plans/{other.id}/agreement.pdf").status_code == 404
    without_note = client.post(f"/plans/{plan.id}/refuse", data={"csrf_token": token, "note": ""},
                               follow_redirects=True)
    assert "Note : indiquez pourquoi l'échéancier est refusé." in html.unescape(without_note.get_data(as_text=True))
    client.post(f"/plans/{plan.id}/refuse", data={"csrf_token": token, "note": "Remise trop forte"})
    db.session.refresh(plan)
    db.session.refresh(other)
    assert (plan.status, plan.decision_note, other.status) == ("refused", "Remise trop forte", "awaiting_client")


def test_staff_cannot_approve_and_clients_cannot_set_up_plans(client, login_as, case):
    plan = propose_plan(case, instalments=split(100_000, 2, today() + timedelta(days=5)), total_cents=100_000,
                        actor=None)
    db.session.commit()
    login_as("manager")
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/plans/{plan.id}/approve", data={"csrf_token": token}).status_code == 403
    cancelled = client.post(f"/plans/{plan.id}/cancel", data={"csrf_token": token, "reason": "Erreur de saisie"})
    assert cancelled.status_code == 302
    db.session.refresh(plan)
    assert plan.status == "cancelled"


def test_the_agreement_letter_in_french(case):
    first = today() + timedelta(days=10)
    plan = propose_plan(case, instalments=split(120_000, 3, first), total_cents=120_000, actor=None)
    text = pdf_text(render_agreement(plan))
    agency = factories.agency_profile()
    assert agency.name in text and "5 quai Saint-Antoine" in text
    assert "Paul DURAND" in text and "Monsieur," in text
    assert "3 rue Mercière" in text and "69002 LYON" in text
    assert f"Échéancier de paiement n° {plan.reference}" in text and "Énergie Verte SAS" in text
    assert f"s'élevait à {money(120_000)}" in text
    assert f"Vous vous engagez à régler la somme de {money(120_000)}" in text
    for instalment in plan.instalments:
        due = format_date(instalment.due_on, "long", locale="fr_FR")
        assert f"{instalment.number}/3 {due} {money(instalment.amount_cents)}" in text.replace(" / ", "/")
    assert f"Total {money(120_000)}" in text
    assert "IBAN FR76 3000 4008 0500 0112 2334 433" in text
    # R124-4, last paragraph: the first letter's reference and date.
    assert f"Premier courrier {case.reference}-L1 du {today().strftime('%d/%m/%Y')}" in text
    assert f"Comme suite à notre courrier du {today().day}" in text
    assert "Les frais de recouvrement entrepris sans titre exécutoire" not in text


def test_a_settlement_letter_says_the_rest_is_waived_and_revived_in_english(case):
    case.debtor.language = "en"
    plan = propose_plan(case, instalments=split(90_000, 2, today() + timedelta(days=10)), total_cents=90_000,
                        grace_days=4, actor=None)
    text = pdf_text(render_agreement(plan))
    assert f"Settlement agreement no. {plan.reference}" in text
    assert f"accept {money(90_000, 'en_GB')} in full and final settlement" in text
    assert f"the remaining {money(30_000, 'en_GB')} will be waived" in text
    assert "not paid within 4 days of its date, the agreement lapses" in text
    assert f"First letter {case.reference}-L1" in text
