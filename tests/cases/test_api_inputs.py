"""The client API refuses what its OpenAPI document does not describe: 422 naming the field, nothing written.

Wrong JSON types, NUL characters and over-long text on every field, bodies that are not objects or not
JSON, other media types, and the query and path parameters. A NUL reaching PostgreSQL would be a 500
(psycopg refuses to send it), so these tests matter most with DATABASE_URL set.
"""

from __future__ import annotations

import base64
import io

import jsonschema_rs
import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from agency.tokens import issue_token
from cases.models import Case, Claim
from cases.openapi import FILENAME_LENGTH, OTHER_TEXT_LENGTH, REFERENCE_LENGTH, openapi_document
from cases.placement.fields import FIELDS
from cases.placement.models import Placement
from cases.placement.rows import MAX_LENGTH
from tests import factories
from tests.cases.test_api import INVOICES, bearer

CSV = "Facture;Echeance;Montant;Client\nCSV-1;15/01/2026;99,90;DUPONT Jeanne\n"
# Wrong JSON types for a text field, and the code each is refused with.
NOT_TEXT = [None, 12, 1.5, True, [], ["x"], {}, {"a": "b"}]


@pytest.fixture
def token(db_session) -> str:
    _row, text = issue_token(factories.client(), name="ERP", actor=None)
    db_session.commit()
    return text


def written() -> tuple[int, ...]:
    """What a placement would have written: placements, claims, cases, audit events."""
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Placement, Claim, Case, AuditEvent))


def refused(app, token: str, *, field: str, code: str, line: int | None = None, **request) -> dict:
    """Send the request; check it is refused with 422 naming `field` (and `line`), with nothing written."""
    before = written()
    url = request.pop("url", "/api/v1/placements")
    method = request.pop("method", "post")
    response = getattr(app.test_client(), method)(url, headers=bearer(token) | request.pop("headers", {}),
                                                   **request)
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.json
    assert body["error"] == "invalid_request" and body["message"]
    problem = body["errors"][0]
    assert (problem["field"], problem["code"]) == (field, code), body
    assert problem.get("line") == line and problem["reason"]
    assert written() == before
    return body


def invoices_with(key: str, value) -> dict:
    """A valid body whose second invoice has `value` at `key`."""
    return {"invoices": [INVOICES[0], INVOICES[1] | {key: value}]}


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize("key", [f.key for f in FIELDS])
def test_every_invoice_field_refuses_what_is_not_text(app, token, key, value):
    refused(app, token, json=invoices_with(key, value), field=f"invoices[1].{key}", code="wrong_type", line=3)


@pytest.mark.parametrize("key", [f.key for f in FIELDS])
def test_every_invoice_field_refuses_a_nul_character(app, token, key):
    refused(app, token, json=invoices_with(key, "12\u00003"), field=f"invoices[1].{key}", code="nul_character",
            line=3)


@pytest.mark.parametrize("key", [f.key for f in FIELDS])
def test_every_invoice_field_refuses_over_long_text(app, token, key):
    too_long = "9" * (MAX_LENGTH.get(key, OTHER_TEXT_LENGTH) + 1)
    refused(app, token, json=invoices_with(key, too_long), field=f"invoices[1].{key}", code="too_long", line=3)


@pytest.mark.parametrize("key", ["invoice_number", "due_date", "amount"])
def test_required_invoice_fields_are_named_when_missing(app, token, key):
    invoice = {k: v for k, v in INVOICES[1].items() if k != key}
    refused(app, token, json={"invoices": [INVOICES[0], invoice]}, field=f"invoices[1].{key}", code="missing",
            line=3)


def test_an_unknown_invoice_field_is_named(app, token):
    refused(app, token, json=invoices_with("vat_number", "FR123"), field="invoices[1].vat_number",
            code="unknown_field", line=3)


@pytest.mark.parametrize(("body", "field", "code", "line"), [
    ({"invoices": None}, "invoices", "wrong_type", None),
    ({"invoices": "API-1"}, "invoices", "wrong_type", None),
    ({"invoices": {"invoice_number": "API-1"}}, "invoices", "wrong_type", None),
    ({"invoices": []}, "invoices", "missing", None),
    ({"invoices": ["not an object"]}, "invoices[0]", "wrong_type", 2),
    ({"invoices": [None]}, "invoices[0]", "wrong_type", 2),
    ({"invoices": INVOICES, "dry_run": "1"}, "dry_run", "wrong_type", None),
    ({"invoices": INVOICES, "dry_run": None}, "dry_run", "wrong_type", None),
    ({"invoices": INVOICES, "filename": "x.csv"}, "filename", "unknown_field", None),
    ({"invoices": INVOICES, "extra\u0000": 1}, "extra\u0000", "unknown_field", None),
    ({"nothing": True}, "body", "one_of", None),
    ({"invoices": INVOICES, "content_base64": "YQ=="}, "body", "one_of", None),
    ([1, 2], "body", "wrong_type", None),
    ("invoices", "body", "wrong_type", None),
    (42, "body", "wrong_type", None),
])
def test_the_json_body_refuses_wrong_shapes_naming_the_field(app, token, body, field, code, line):
    refused(app, token, json=body, field=field, code=code, line=line)


def test_a_json_null_body_is_refused(app, token):
    refused(app, token, data="null", headers={"Content-Type": "application/json"}, field="body", code="wrong_type")


def file_body(**fields) -> dict:
    return {"content_base64": base64.b64encode(CSV.encode()).decode(), "filename": "placement.csv"} | fields


@pytest.mark.parametrize(("value", "code"), [
    (None, "wrong_type"), (3, "wrong_type"), (["a.csv"], "wrong_type"), ({}, "wrong_type"),
    ("place\u0000ment.csv", "nul_character"), ("x" * (FILENAME_LENGTH + 1) + ".csv", "too_long"),
], ids=repr)
def test_a_base64_file_refuses_a_filename_that_is_not_text(app, token, value, code):
    """`filename` null or a number used to fail with a 500."""
    refused(app, token, json=file_body(filename=value), field="filename", code=code)


@pytest.mark.parametrize(("value", "code"), [
    (None, "wrong_type"), (3, "wrong_type"), ("%%%", "not_base64"), ("YQ=\u0000", "not_base64"),
    ("YQ", "not_base64"), ("YQ==\n", "not_base64"),
], ids=repr)
def test_a_base64_file_refuses_content_that_is_not_base64(app, token, value, code):
    refused(app, token, json=file_body(content_base64=value), field="content_base64", code=code)


def test_a_lone_surrogate_is_refused_as_text_utf8_cannot_hold(app, token):
    raw = '{"invoices": [{"invoice_number": "A\\ud800", "due_date": "2026-02-01", "amount": "1"}]}'
    refused(app, token, data=raw, headers={"Content-Type": "application/json"}, field="invoices[0].invoice_number",
            code="invalid_text", line=2)


def test_an_invoices_line_is_its_position_whatever_line_breaks_its_values_hold(app, token):
    body = {"invoices": [INVOICES[0] | {"description": "Travaux\r\nlot 2\nlot 3"},
                         INVOICES[1] | {"due_date": "2026-02-30"}]}
    response = app.test_client().post("/api/v1/placements", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert [(r["line"], r["field"]) for r in response.json["rejections"]] == [(3, "due_date")]
    placed = app.test_client().post("/api/v1/placements", json={"invoices": body["invoices"][:1]},
                                    headers=bearer(token))
    assert placed.status_code == 201
    assert db.session.scalar(sa.select(Claim.description).where(Claim.invoice_number == "API-1")) == (
        "Travaux lot 2 lot 3")


def test_a_valid_base64_file_is_placed(app, token):
    response = app.test_client().post("/api/v1/placements", json=file_body(), headers=bearer(token))
    assert response.status_code == 201, response.json
    assert response.json["total_cents"] == 9_990


@pytest.mark.parametrize(("query", "code"), [
    ("dry_run=yes", "not_allowed"), ("dry_run=true", "not_allowed"), ("dry_run=1%00", "nul_character"),
])
def test_the_dry_run_parameter_refuses_other_values(app, token, query, code):
    refused(app, token, url=f"/api/v1/placements?{query}", json={"invoices": INVOICES}, field="dry_run", code=code)


def test_a_dry_run_asked_with_zero_is_not_a_dry_run(app, token):
    response = app.test_client().post("/api/v1/placements?dry_run=0", json={"invoices": INVOICES},
                                      headers=bearer(token))
    assert response.status_code == 201 and response.json["written"]


@pytest.mark.parametrize(("reference", "code"), [
    ("CAS%00-1", "nul_character"), ("C" * (REFERENCE_LENGTH + 1), "too_long"),
])
def test_a_case_reference_that_no_case_can_have_is_refused(app, token, reference, code):
    refused(app, token, method="get", url=f"/api/v1/cases/{reference}", field="reference", code=code)


@pytest.mark.parametrize("reference", ["a/b", "/a", "a%0Ab", "a%2Fb", "a/"])
def test_any_reference_is_answered_by_the_api(app, token, reference):
    response = app.test_client().get(f"/api/v1/cases/{reference}", headers=bearer(token))
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_a_body_that_is_not_json_is_refused_with_400(app, token):
    before = written()
    response = app.test_client().post("/api/v1/placements", data=b'{"invoices": [', headers=bearer(token) | {
        "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"] == "bad_request" and response.json["message"]
    assert written() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_other_media_types_are_refused_with_415(app, token, content_type):
    before = written()
    response = app.test_client().post("/api/v1/placements", data=CSV.encode(), headers=bearer(token) | {
        "Content-Type": content_type})
    assert response.status_code == 415 and response.json["error"] == "unsupported_media_type", response.json
    assert written() == before


def test_a_multipart_upload_without_its_file_names_the_field(app, token):
    refused(app, token, data={"other": "x"}, content_type="multipart/form-data", field="file", code="missing")


def test_a_multipart_file_name_with_a_nul_is_refused(app, token):
    upload = (io.BytesIO(CSV.encode()), "place\u0000ment.csv")
    refused(app, token, data={"file": upload}, content_type="multipart/form-data", field="file",
            code="nul_character")


def test_a_nul_in_a_csv_body_is_refused_at_its_line_and_field(app, token):
    before = written()
    body = CSV + "CSV-2;15/01/2026;10,00;MARTIN\u0000 Paul\n"
    response = app.test_client().post("/api/v1/placements", data=body.encode(), headers=bearer(token) | {
        "Content-Type": "text/csv"})
    assert response.status_code == 422 and not response.json["written"]
    rejection = response.json["rejections"][0]
    assert (rejection["line"], rejection["field"], rejection["code"]) == (3, "debtor_name", "nul_character")
    assert written() == before


def test_the_document_is_a_valid_openapi_31_document_with_valid_schemas(app):
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    with app.test_request_context():
        document = openapi_document()
    OPENAPI_31_VALIDATOR.validate(document)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema | {"$schema": "https://json-schema.org/draft/2020-12/schema"}), name
    validator = jsonschema_rs.validator_for(document | {"$ref": "#/components/schemas/InvoicesPlacement"})
    assert validator.is_valid({"invoices": INVOICES}) and not validator.is_valid({"invoices": []})
    assert not validator.is_valid(invoices_with("amount", "1\u00002"))


def test_the_document_requires_what_the_api_requires(app):
    with app.test_request_context():
        document = openapi_document()
    invoice = document["components"]["schemas"]["Invoice"]
    assert set(invoice["required"]) == {"invoice_number", "due_date", "amount"}
    assert invoice["additionalProperties"] is False
    body = document["paths"]["/placements"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [branch["$ref"].rsplit("/", 1)[1] for branch in body["oneOf"]] == ["InvoicesPlacement", "FilePlacement"]
    refusal = document["paths"]["/placements"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/Error"} in refusal["oneOf"]


def test_the_answers_are_those_the_document_describes(app, token):
    """The fuzzer rarely finds a case: the case and the report are checked against their schemas here."""
    with app.test_request_context():
        document = openapi_document()
    web = app.test_client()
    placed = web.post("/api/v1/placements", json={"invoices": INVOICES}, headers=bearer(token))
    case = web.get(f"/api/v1/cases/{placed.json['case_references'][0]}", headers=bearer(token))
    assert (placed.status_code, case.status_code) == (201, 200)
    for name, body in (("PlacementReport", placed.json), ("Case", case.json)):
        jsonschema_rs.validator_for(document | {"$ref": f"#/components/schemas/{name}"}).validate(body)


def test_a_query_parameter_the_document_does_not_name_is_refused_not_ignored(app, token):
    # `dryrun` for `dry_run`: ignoring it would import the invoices for real.
    refused(app, token, url="/api/v1/placements?dryrun=1", json={"invoices": INVOICES}, field="dryrun", code="unknown")
    refused(app, token, url="/api/v1/cases/D26-000001?expand=all", method="get", field="expand", code="unknown")
