"""Amounts are bounded per invoice and per case, in the preview, the dry runs, the import and the API alike:
one client's data must never make a sum overflow and break the pages everyone reads."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from agency.config import DEFAULT_MAX_CASE_CENTS, DEFAULT_MAX_INVOICE_CENTS
from agency.db import db
from agency.tokens import issue_token
from cases.models import Claim
from cases.placement.models import Placement
from cases.placement.placements import check_placement, confirm_placement, import_placement
from tests import factories
from tests.cases.placement.test_pages import upload
from tests.cases.test_api import bearer
from tests.conftest import csrf_token

HEADER = "N° facture;Échéance;Montant TTC;Raison sociale;SIREN\n"
LARGEST = DEFAULT_MAX_INVOICE_CENTS  # the largest invoice allowed
PER_CASE = DEFAULT_MAX_CASE_CENTS // DEFAULT_MAX_INVOICE_CENTS  # largest invoices filling a case


def text(cents: int) -> str:
    """Write cents as a French file does ("100000000,00")."""
    return f"{cents // 100},{cents % 100:02d}"


def rows(*amounts: str, siren: str = "732829320", prefix: str = "B") -> str:
    return HEADER + "".join(
        f"{prefix}-{i};01/02/2026;{amount};Garage Lopez SARL;{siren}\n" for i, amount in enumerate(amounts, 1)
    )


def claims_of(client) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.client_id == client.id))


def test_the_preview_refuses_an_invoice_beyond_the_bound_at_its_row_and_field(client, db_session, login_as,
                                                                             run_jobs):
    creditor = factories.client()
    login_as("client", client_row=creditor)
    response = upload(client, rows("12,50", "999999999999999,99", text(LARGEST + 1), text(LARGEST)))
    run_jobs()
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    assert (placement.rows_valid, placement.rows_rejected) == (2, 2)
    refused = [(r["line"], r["column"], r["code"]) for r in placement.report["rejections"]]
    assert refused == [(3, "Montant TTC", "amount_too_large"), (4, "Montant TTC", "amount_too_large")]
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("\u202f", " ")
    assert "Montant trop élevé : au plus 100 000 000,00 par facture." in page
    assert claims_of(creditor) == 0

    client.post(f"/placements/{placement.id}/confirm", data={"csrf_token": csrf_token(client, "/placements/")})
    run_jobs()
    db_session.refresh(placement)
    amounts = db_session.scalars(sa.select(Claim.amount_cents).where(Claim.client_id == creditor.id)).all()
    assert placement.status == "imported" and sorted(amounts) == [1_250, LARGEST]


def test_the_preview_refuses_the_invoices_that_would_take_a_case_beyond_its_bound(db_session):
    creditor = factories.client()
    placement = factories.placement(creditor, rows(*[text(LARGEST)] * (PER_CASE + 1), "0,01"))
    check_placement(placement)
    assert (placement.rows_valid, placement.rows_rejected, placement.cases_to_create) == (PER_CASE, 2, 1)
    refused = [(r["line"], r["field"], r["code"]) for r in placement.report["rejections"]]
    assert refused == [(PER_CASE + 2, "amount", "case_too_large"), (PER_CASE + 3, "amount", "case_too_large")]
    assert "1 000 000 000,00" in placement.report["rejections"][0]["reason"].replace("\u202f", " ")
    assert placement.total_cents == DEFAULT_MAX_CASE_CENTS


def test_the_import_fills_a_case_up_to_its_bound_and_no_further(db_session):
    creditor = factories.client()
    placement = factories.placement(creditor, rows(*[text(LARGEST)] * (PER_CASE + 1)))
    check_placement(placement)
    confirm_placement(placement, None)
    written = import_placement(placement, None)  # the check's plan, with its refusal, reused
    assert written.claims == PER_CASE and placement.rows_rejected == 1
    assert db_session.scalar(sa.select(sa.func.sum(Claim.amount_cents)).where(
        Claim.client_id == creditor.id)) == DEFAULT_MAX_CASE_CENTS


def test_invoices_joining_an_open_case_count_with_what_it_holds_even_when_it_filled_after_the_check(db_session):
    creditor = factories.client()
    first = factories.placement(creditor, rows(*[text(LARGEST)] * (PER_CASE - 1)))
    check_placement(first)
    later = factories.placement(creditor, rows(text(LARGEST), "0,01", prefix="L"))
    check_placement(later)
    assert later.rows_valid == 2  # the debtor's case does not exist yet
    confirm_placement(first, None)
    import_placement(first, None)
    confirm_placement(later, None)
    # The database changed since the check: the import settles the rows again and finds the case nearly full.
    assert import_placement(later, None).claims == 1
    assert later.rows_rejected == 1 and later.report["rejections"][0]["code"] == "case_too_large"
    assert db_session.scalar(sa.select(sa.func.sum(Claim.amount_cents)).where(
        Claim.client_id == creditor.id)) == DEFAULT_MAX_CASE_CENTS


def test_the_shell_dry_run_names_the_row_and_the_column(app, db_session, tmp_path):
    creditor = factories.client(code="BOUNDS")
    db_session.commit()
    path = tmp_path / "placement.csv"
    path.write_text(rows("12,50", "99999999999999999999999"), encoding="utf-8")
    dry = app.test_cli_runner().invoke(args=["cases", "import", str(path), "--client", "BOUNDS", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "ligne 3, Montant TTC" in dry.output and "Montant trop élevé" in dry.output
    assert claims_of(creditor) == 0


def _api(app, token, invoices, dry_run=False):
    url = "/api/v1/placements" + ("?dry_run=1" if dry_run else "")
    return app.test_client().post(url, json={"invoices": invoices}, headers=bearer(token))


def _invoice(number: str, amount: str) -> dict:
    return {"invoice_number": number, "due_date": "2026-02-01", "amount": amount,
            "debtor_name": "Garage Lopez SARL", "siren": "732829320"}


def test_the_api_refuses_the_amounts_that_broke_every_page_and_writes_nothing(app, db_session):
    creditor = factories.client()
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    for amount in ("999999999999999,99", "92233720368547758,07", "99999999999999999999999"):
        for dry_run in (True, False):
            response = _api(app, token, [_invoice("API-1", "10,00"), _invoice("API-2", amount)], dry_run)
            assert response.status_code == 422, response.json
            (rejection,) = response.json["rejections"]
            assert (rejection["line"], rejection["field"], rejection["code"]) == (3, "amount", "amount_too_large")
            assert not response.json["written"]
    assert claims_of(creditor) == 0


def test_the_api_refuses_an_invoice_that_would_take_the_debtors_case_beyond_its_bound(app, db_session):
    creditor = factories.client()
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    full = [_invoice(f"FULL-{i}", text(LARGEST)) for i in range(PER_CASE)]
    assert _api(app, token, full).status_code == 201
    response = _api(app, token, [_invoice("MORE-1", "0,01")], dry_run=True)
    assert response.status_code == 422
    (rejection,) = response.json["rejections"]
    assert (rejection["line"], rejection["field"], rejection["code"]) == (2, "amount", "case_too_large")
    assert _api(app, token, [_invoice("MORE-1", "0,01")]).status_code == 422
    assert claims_of(creditor) == PER_CASE


SIRENS = ("732829320", "552100554", "542051180")  # three debtors, one case each, every case full


def _signed_in(app, role: str, client_row=None):
    from tests.conftest import IsolatedClient, login

    user = factories.user(role, client=client_row)
    db.session.commit()
    app.test_client_class = IsolatedClient
    web = app.test_client()
    assert login(web, user.email).status_code == 302
    return web, user


def _every_page_answers(app, creditor, token: str, *, refresh: bool = True) -> str:
    """Read every page that sums the cases' amounts, as staff, a collector and the client; return the aged CSV."""
    from cases.models import Case

    cases = db.session.scalars(sa.select(Case).where(Case.client_id == creditor.id)).all()
    manager, _user = _signed_in(app, "manager")
    collector, user = _signed_in(app, "collector")
    portal, _user = _signed_in(app, "client", creditor)
    for case in cases:
        case.assigned_collector_id = user.id
    db.session.commit()
    if refresh:  # the pre-computed figures and aged balance, as the hourly jobs store them
        form = {"csrf_token": csrf_token(manager, "/reports/aged")}
        assert manager.post("/reports/aged/refresh", data=form).status_code == 302
        assert manager.post("/reports/refresh", data=form).status_code == 302
    pages = {
        manager: ["/cases/", "/reports", "/reports/cases", "/reports/cases.csv", "/reports/cases.xlsx",
                  "/reports/aged", "/reports/aged.csv", "/reports/aged.xlsx", "/reports/aged/cases",
                  "/reports/aged/cases.csv", "/reports/aged/cases.xlsx", f"/cases/{cases[0].id}"],
        collector: ["/cases/", "/queue/", f"/cases/{cases[0].id}"],
        portal: ["/cases/", "/reports", f"/cases/{cases[0].id}"],
    }
    for web, urls in pages.items():
        for url in urls:
            assert web.get(url).status_code == 200, url
    for case in cases:
        answer = app.test_client().get(f"/api/v1/cases/{case.reference}", headers=bearer(token))
        assert answer.status_code == 200
    return manager.get("/reports/aged.csv").get_data(as_text=True)


def test_every_page_reads_the_largest_allowed_amounts_on_several_cases(app, db_session, run_jobs):
    creditor = factories.client()
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    for n, siren in enumerate(SIRENS):
        invoices = [_invoice(f"BIG-{n}-{i}", text(LARGEST)) | {"siren": siren, "debtor_name": f"Garage {n} SARL"}
                    for i in range(PER_CASE)]
        assert _api(app, token, invoices).status_code == 201
    run_jobs()
    aged = _every_page_answers(app, creditor, token)
    total = f"{len(SIRENS) * DEFAULT_MAX_CASE_CENTS // 100},00"
    assert f";{total};" in aged.replace("\u202f", "").replace("\xa0", "").replace(" ", "")


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="SQLite's SUM fails on integer overflow; PostgreSQL's sums of BIGINT are NUMERIC")
def test_sums_across_cases_beyond_bigint_do_not_break_the_pages(app, db_session):
    """Cases stored before the bound existed: each fits BIGINT, their sum does not."""
    creditor = factories.client()
    for _ in range(3):
        factories.case(client_row=creditor, amounts=(5_000_000_000_000_000_000,))
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    # The hourly snapshots are not refreshed: they store per-client sums in BIGINT columns (a job, not a page).
    aged = _every_page_answers(app, creditor, token, refresh=False)
    assert ";150000000000000000,00;" in aged.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
