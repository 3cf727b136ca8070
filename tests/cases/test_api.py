"""The client API: token authentication, placement with the same checks, case status, OpenAPI."""

from __future__ import annotations

import sqlalchemy as sa

from agency.db import db
from agency.tokens import issue_token, revoke_token
from cases.models import Case, Claim
from tests import factories

INVOICES = [
    {"invoice_number": "API-1", "issue_date": "2026-01-02", "due_date": "2026-02-01", "amount": "1234.56",
     "debtor_name": "Garage Lopez SARL", "siren": "732829320", "email": "compta@lopez.example.com"},
    {"invoice_number": "API-2", "issue_date": "2026-01-05", "due_date": "2026-02-04", "amount": "100,00",
     "debtor_name": "Garage Lopez SARL", "siren": "732829320"},
]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def claims_of(client) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.client_id == client.id))


def test_placement_with_a_good_token_opens_cases_and_returns_references(app, db_session):
    client = factories.client()
    _row, token = issue_token(client, name="ERP", actor=None)
    db_session.commit()
    response = app.test_client().post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer(token))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["written"] and body["rows_valid"] == 2 and body["cases_to_create"] == 1
    assert len(body["case_references"]) == 1 and body["total_cents"] == 133_456
    reference = body["case_references"][0]

    case = app.test_client().get(f"/api/v1/cases/{reference}", headers=bearer(token))
    assert case.status_code == 200
    assert case.json["balance"]["outstanding_cents"] == 133_456 and case.json["status"] == "new"

    again = app.test_client().post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer(token))
    assert again.status_code == 200 and again.json["rows_already_placed"] == 2 and not again.json["written"]
    assert claims_of(client) == 2


def test_a_rejected_row_writes_nothing_and_names_line_field_and_reason(app, db_session):
    client = factories.client()
    _row, token = issue_token(client, name="ERP", actor=None)
    db_session.commit()
    bad = INVOICES + [{"invoice_number": "API-3", "due_date": "2026-02-30", "amount": "12", "debtor_name": "X SARL"}]
    response = app.test_client().post("/api/v1/placements", json={"invoices": bad}, headers=bearer(token))
    assert response.status_code == 422
    rejection = response.json["rejections"][0]
    assert (rejection["line"], rejection["field"], rejection["code"]) == (4, "due_date", "impossible_date")
    assert claims_of(client) == 0 and not response.json["written"]


def test_dry_run_reports_without_writing(app, db_session):
    client = factories.client()
    _row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    response = app.test_client().post("/api/v1/placements?dry_run=1", json={"invoices": INVOICES},
                                      headers=bearer(token))
    assert response.status_code == 200 and response.json["cases_to_create"] == 1 and not response.json["written"]
    assert claims_of(client) == 0


def test_csv_body_is_accepted(app, db_session):
    client = factories.client()
    _row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    body = "Facture;Echeance;Montant;Client\nCSV-1;15/01/2026;99,90 €;DUPONT Jeanne\n"
    response = app.test_client().post("/api/v1/placements", data=body.encode("cp1252"),
                                      headers=bearer(token) | {"Content-Type": "text/csv"})
    assert response.status_code == 201, response.json
    assert response.json["total_cents"] == 9_990


def test_missing_unknown_and_revoked_tokens_are_refused(app, db_session):
    client = factories.client()
    row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    web = app.test_client()
    assert web.post("/api/v1/placements", json={"invoices": INVOICES}).status_code == 401
    assert web.post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer("amb_nope")).status_code == 401
    revoke_token(row, actor=None)
    db_session.commit()
    assert web.post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer(token)).status_code == 401
    assert claims_of(client) == 0


def test_another_clients_token_cannot_read_the_case(app, db_session):
    owner, other = factories.client(), factories.client()
    case = factories.case(client_row=owner)
    _row, other_token = issue_token(other, name="", actor=None)
    _row, owner_token = issue_token(owner, name="", actor=None)
    db_session.commit()
    web = app.test_client()
    assert web.get(f"/api/v1/cases/{case.reference}", headers=bearer(other_token)).status_code == 404
    assert web.get(f"/api/v1/cases/{case.reference}", headers=bearer(owner_token)).status_code == 200


def test_placement_is_refused_for_a_client_without_mandate(app, db_session):
    client = factories.client(with_mandate=False)
    _row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    response = app.test_client().post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer(token))
    assert response.status_code == 422 and "R124-3" in response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.client_id == client.id)) == 0


def test_tokens_are_stored_hashed_and_openapi_is_published(app, db_session):
    client = factories.client()
    row, token = issue_token(client, name="", actor=None)
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and {"/placements", "/cases/{reference}"} <= set(spec["paths"])


def test_clients_are_not_told_whether_the_agency_knew_a_debtor(app, db_session):
    """Matching runs across clients; telling a client 'known debtor' would leak another client's case."""
    other = factories.client()
    factories.case(client_row=other, debtor_row=factories.debtor("company", siren="732829320"))
    client = factories.client()
    _row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    body = app.test_client().post("/api/v1/placements?dry_run=1", json={"invoices": INVOICES},
                                  headers=bearer(token)).json
    assert "debtors_matched" not in body and "debtors_to_create" not in body
    assert body["cases_to_create"] == 1


def test_a_malformed_body_is_refused_with_a_message(app, db_session):
    client = factories.client()
    _row, token = issue_token(client, name="", actor=None)
    db_session.commit()
    web = app.test_client()
    for body, field in (([1, 2], "body"), ({"invoices": ["not an object"]}, "invoices[0]"),
                        ({"content_base64": "%%%"}, "content_base64"), ({"nothing": True}, "body")):
        response = web.post("/api/v1/placements", json=body, headers=bearer(token))
        assert response.status_code == 422 and response.json["message"], body
        assert response.json["errors"][0]["field"] == field
    assert claims_of(client) == 0
