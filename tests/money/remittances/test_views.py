"""Pages of remittances: the client portal (own statements only), managers' run and payment, the trust page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from agency.clock import today
from money.models import Remittance
from money.remittances.jobs import issue_due_statements_job
from money.remittances.statements import run_remittances
from tests import factories
from tests.conftest import csrf_token
from tests.money.remittances.conftest import pay


def statement_for(client_row, amount: int = 10_000) -> Remittance:
    pay(factories.case(client_row=client_row, amounts=(50_000,)), amount, date(2026, 3, 3))
    (statement,) = run_remittances(date(2026, 3, 31), [client_row.id])
    return statement


def test_client_sees_its_own_statements_and_not_another(client, db_session, login_as, creditor):
    factories.agency_profile()
    mine = statement_for(creditor)
    theirs = statement_for(factories.client())
    db_session.commit()
    login_as("client", creditor)
    page = client.get("/remittances").get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page
    assert "Relevés de reversement" in page
    assert "Émettre les relevés maintenant" not in page  # no run form for clients
    detail = client.get(f"/remittances/{mine.id}")
    assert detail.status_code == 200 and "Net à reverser au client" in detail.get_data(as_text=True)
    assert "Marquer payé" not in detail.get_data(as_text=True)
    pdf = client.get(f"/remittances/{mine.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Repr-Digest"].startswith("sha-256=")
    csv = client.get(f"/remittances/{mine.id}.csv")
    assert csv.status_code == 200 and mine.reference in csv.get_data(as_text=True)
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    for suffix in ("", ".pdf", ".csv"):
        assert client.get(f"/remittances/{theirs.id}{suffix}").status_code == 404
    assert client.post(f"/remittances/{mine.id}/paid", data={"csrf_token": csrf_token(client, "/remittances")}
                       ).status_code == 403
    assert client.get("/trust").status_code == 403


def test_manager_runs_a_period_and_marks_a_statement_paid(client, db_session, login_as, run_jobs, creditor):
    factories.agency_profile()
    pay(factories.case(client_row=creditor, amounts=(50_000,)), 25_000, date(2026, 3, 3))
    db_session.commit()
    login_as("manager")
    token = csrf_token(client, "/remittances")
    response = client.post("/remittances/run", data={"csrf_token": token, "period_end": "2026-03-31",
                                                     "client_id": str(creditor.id)})
    assert response.status_code == 302
    statement = db_session.scalar(sa.select(Remittance).where(Remittance.client_id == creditor.id))
    assert statement.trust_collected_cents == 25_000
    run_jobs()
    db_session.refresh(statement)
    assert statement.pdf_path  # the document was stored by its job
    again = client.post("/remittances/run", data={"csrf_token": token, "period_end": "2026-03-31", "client_id": ""},
                        follow_redirects=True)
    assert "Rien à reverser jusqu’au 31/03/2026" in again.get_data(as_text=True)

    future = client.post("/remittances/run", data={"csrf_token": token, "period_end": today().isoformat()},
                         follow_redirects=True)
    assert "la période doit être terminée" in future.get_data(as_text=True)

    bad = client.post(f"/remittances/{statement.id}/paid", data={"csrf_token": token, "paid_on": "2026-04-02",
                                                                 "reference": ""})
    assert bad.status_code == 400 and "Indiquez la référence bancaire du virement." in bad.get_data(as_text=True)
    early = client.post(f"/remittances/{statement.id}/paid", data={"csrf_token": token, "paid_on": "2026-03-02",
                                                                   "reference": "VIR-1"})
    assert early.status_code == 400 and "avant la fin de la période" in early.get_data(as_text=True)
    db_session.refresh(statement)
    assert statement.status == "issued"
    done = client.post(f"/remittances/{statement.id}/paid", data={"csrf_token": token, "paid_on": "2026-04-02",
                                                                  "reference": "VIR-2026-04"})
    assert done.status_code == 302
    db_session.refresh(statement)
    assert (statement.status, statement.paid_reference) == ("paid", "VIR-2026-04")
    page = client.get(f"/remittances/{statement.id}").get_data(as_text=True)
    assert "VIR-2026-04" in page


def test_trust_page_shows_the_reconciliation_and_old_funds(client, db_session, login_as, creditor):
    case = factories.case(client_row=creditor)
    old = pay(case, 4_321, today() - timedelta(days=45))
    db_session.commit()
    login_as("manager")
    page = client.get("/trust").get_data(as_text=True)
    assert "Compte de cantonnement" in page
    assert old.reference in page and case.reference in page
    assert 'data-testid="ledger-mismatch"' not in page and 'data-testid="unbalanced"' not in page
    assert re.search(r'data-testid="held">[^<]*€', page)


def test_the_daily_job_issues_what_the_schedule_calls_for(db_session, run_jobs, creditor):
    weekly = factories.client()
    weekly.mandates[0].remittance_frequency = "weekly"
    pay(factories.case(client_row=creditor), 1_000, date(2026, 3, 3))
    pay(factories.case(client_row=weekly), 2_000, date(2026, 3, 3))
    db_session.commit()
    issue_due_statements_job()
    run_jobs()
    statements = {s.client_id: s for s in db_session.scalars(
        sa.select(Remittance).where(Remittance.client_id.in_([creditor.id, weekly.id])))}
    month_end = today().replace(day=1) - timedelta(days=1)
    sunday = today() - timedelta(days=today().weekday() + 1)
    assert statements[creditor.id].period_end == month_end
    assert statements[weekly.id].period_end == sunday
    assert statements[creditor.id].pdf_path
    assert issue_due_statements_job() == {} or all(v == 0 for v in issue_due_statements_job().values())
