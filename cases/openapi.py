"""The OpenAPI 3.1 description of the client API, served at /api/v1/openapi.json.

It is the truth about what the API accepts: `cases.api_input` checks every request against these very
schemas, so a request the document describes is never refused as malformed, and one it does not
describe is refused with 422 before anything is read or written.
"""

from __future__ import annotations

import base64

from cases.placement.fields import FIELDS
from cases.placement.rows import MAX_LENGTH

# PostgreSQL text cannot hold a NUL character (psycopg refuses to send one): no text may carry it.
NO_NUL = "^[^\\x00]*$"
# What base64.b64decode(validate=True) accepts: the alphabet, in groups of four, padded at the end.
BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# Fields whose column has no width of its own (dates, amounts, codes, numbers): far above any real value.
OTHER_TEXT_LENGTH = 255
FILENAME_LENGTH = 255  # placement.filename
REFERENCE_LENGTH = 24  # case.reference


def text(max_length: int, description: str = "", *, required: bool = False) -> dict:
    """A string without NUL, at most `max_length` characters; not empty when `required`."""
    schema = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    if required:
        schema["minLength"] = 1
    if description:
        schema["description"] = description
    return schema


def _integers(*names: str) -> dict:
    return {name: {"type": "integer"} for name in names}


def _object(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    """An object of an answer: every property is always there, unless named `optional`."""
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional]}


_REJECTION = _object({
    "line": {"type": "integer"}, "field": {"type": "string"}, "column": {"type": "string"},
    "value": {"type": "string"}, "reason": {"type": "string"}, "code": {"type": "string"}})
_ALREADY_PLACED = _object({
    "line": {"type": "integer"}, "invoice_number": {"type": "string"}, "case_reference": {"type": "string"},
    **_integers("amount_cents", "placed_amount_cents"), "amount_differs": {"type": "boolean"}})
_REPORT = _object({
    "placement_id": {"type": "integer"},
    "status": {"type": "string"},
    "written": {"type": "boolean", "description": "false for a dry run or a refused placement"},
    **_integers("rows_total", "rows_valid", "rows_rejected", "rows_already_placed", "cases_to_create",
                "cases_to_update", "total_cents"),
    "rejections": {"type": "array", "items": _REJECTION},
    "already_placed": {"type": "array", "items": _ALREADY_PLACED},
    "case_references": {"type": "array", "items": {"type": "string"}},
})
_PROBLEM = _object({
    "field": {"type": "string", "description": "where: `invoices[2].due_date`, a parameter's name, or `body`"},
    "line": {"type": "integer", "description": "for an invoice: its line in the rejections' numbering "
                                               "(its position in `invoices` + 2, line 1 being the header)"},
    "code": {"type": "string", "description": "stable: missing, wrong_type, unknown_field, too_long, "
                                              "nul_character, not_allowed, not_base64, invalid_text, one_of"},
    "reason": {"type": "string", "description": "the code in words, in the client's language"},
}, optional=("line",))
_ERROR = _object({
    "error": {"type": "string", "description": "invalid_request (see `errors`), refused, unmapped_columns, "
                                               "bad_request, unsupported_media_type, conflict, invalid_token, "
                                               "not_found"},
    "message": {"type": "string"},
    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"},
               "description": "with invalid_request: each field refused and why"},
    "headers": {"type": "array", "items": {"type": "string"}, "description": "with unmapped_columns"},
}, optional=("errors", "headers"))
_CASE = _object({
    "reference": {"type": "string"}, "status": {"type": "string"}, "kind": {"type": "string"},
    "currency": {"type": "string"}, "opened_on": {"type": "string", "format": "date"},
    "closed_on": {"type": ["string", "null"], "format": "date"}, "client_reference": {"type": "string"},
    "balance": _object(_integers("principal_cents", "interest_cents", "indemnity_cents", "costs_cents",
                                 "paid_cents", "other_credits_cents", "outstanding_cents")),
    "invoices": {"type": "array", "items": _object({
        "invoice_number": {"type": "string"}, "due_date": {"type": "string", "format": "date"},
        "amount_cents": {"type": "integer"}})},
})


def _invoice() -> dict:
    # A person may be named by debtor_last_name alone: a row without any name is refused with the report.
    return {
        "type": "object",
        "description": "one invoice, as a row of a placement file: a line break in a value is read as a space",
        "properties": {f.key: text(MAX_LENGTH.get(f.key, OTHER_TEXT_LENGTH), str(f.label),
                                   required=f.required and f.key != "debtor_name") for f in FIELDS},
        "required": [f.key for f in FIELDS if f.required and f.key != "debtor_name"],
        "additionalProperties": False,
    }


_DRY_RUN = {"type": "boolean", "description": "check and report only, as the dry_run parameter"}
_INVOICES_BODY = {
    "type": "object",
    "properties": {"invoices": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Invoice"}},
                   "dry_run": _DRY_RUN},
    "required": ["invoices"],
    "additionalProperties": False,
}
_FILE_BODY = {
    "type": "object",
    "properties": {"content_base64": {"type": "string", "pattern": BASE64, "contentEncoding": "base64",
                                      "description": "a CSV, XLSX, XLS or ODS file"},
                   "filename": text(FILENAME_LENGTH, "its extension says how to read it; placement.csv if absent"),
                   "dry_run": _DRY_RUN},
    "required": ["content_base64"],
    "additionalProperties": False,
}


_EXAMPLE_INVOICE = {"invoice_number": "FA-2026-0042", "issue_date": "2026-01-02", "due_date": "2026-02-01",
                    "amount": "1234.56", "debtor_name": "Garage Lopez SARL", "siren": "732829320",
                    "email": "compta@lopez.example.com"}
_EXAMPLE_CSV = "Facture;Echeance;Montant;Client\nFA-2026-0043;15/01/2026;99,90;DUPONT Jeanne\n"


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


_RATE_LIMITED = _json("Error", "too many requests with this token (agency.ratelimit): wait as Retry-After says") | {
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}}


def openapi_document() -> dict:
    """Return the API description."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Amiable client API", "version": "1",
                 "description": "Place unpaid invoices with the agency and follow the cases. Amounts are "
                                "integer cents in responses; in requests they are written as in a CSV file "
                                "(\"1234.56\" or \"1 234,56\"). Dates: YYYY-MM-DD or DD/MM/YYYY. A request "
                                "this document does not describe is refused with 422, naming each field."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "a client API token issued by the agency"}},
            "schemas": {"Invoice": _invoice(), "InvoicesPlacement": _INVOICES_BODY, "FilePlacement": _FILE_BODY,
                        "PlacementReport": _REPORT, "Problem": _PROBLEM, "Error": _ERROR, "Case": _CASE},
        },
        "security": [{"token": []}],
        "paths": {
            "/placements": {"post": {
                "summary": "Place invoices (all-or-nothing: any rejected row writes nothing)",
                "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
                                "description": "1: check and report only"}],
                "requestBody": {"required": True, "content": {
                    "application/json": {
                        "schema": {"oneOf": [{"$ref": "#/components/schemas/InvoicesPlacement"},
                                             {"$ref": "#/components/schemas/FilePlacement"}]},
                        "examples": {
                            "invoices": {"value": {"invoices": [_EXAMPLE_INVOICE]}},
                            "file": {"value": {"content_base64": base64.b64encode(_EXAMPLE_CSV.encode()).decode(),
                                               "filename": "factures.csv", "dry_run": True}}}},
                    "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE_CSV},
                    "multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary",
                                                "description": "a CSV, XLSX, XLS or ODS file"}},
                        # Other fields are ignored, but no text of a request may hold NUL (agency.inputs).
                        "propertyNames": {"pattern": NO_NUL},
                        "additionalProperties": {"type": "string", "pattern": NO_NUL}}},
                }},
                "responses": {
                    "201": _json("PlacementReport", "imported"),
                    "200": _json("PlacementReport", "dry run, or nothing new to import"),
                    "400": _json("Error", "the body is not valid JSON"),
                    "401": _json("Error", "missing, unknown or revoked token"),
                    "409": _json("Error", "some invoices were placed meanwhile: send the request again"),
                    "415": _json("Error", "a body that is neither JSON, CSV nor a multipart upload"),
                    "429": _RATE_LIMITED,
                    "422": {"description": "a request this document does not describe (invalid_request), rows "
                                           "rejected (the report), no mandate in force or a file that cannot be "
                                           "read (refused), or columns not recognised (unmapped_columns)",
                            "content": {"application/json": {"schema": {"oneOf": [
                                {"$ref": "#/components/schemas/PlacementReport"},
                                {"$ref": "#/components/schemas/Error"}]}}}},
                },
            }},
            "/cases/{reference}": {"get": {
                "summary": "A case's status and balance",
                "parameters": [{"name": "reference", "in": "path", "required": True,
                                "schema": text(REFERENCE_LENGTH, required=True)}],
                "responses": {"200": _json("Case", "the case"),
                              "401": _json("Error", "missing, unknown or revoked token"),
                              "404": _json("Error", "no such case for this client"),
                              "422": _json("Error", "a reference this document does not describe"),
                              "429": _RATE_LIMITED},
            }},
        },
    }
