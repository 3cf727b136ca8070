"""The OpenAPI 3.1 description of the client API, served at /api/v1/openapi.json."""

from __future__ import annotations

from cases.placement.fields import FIELDS

_REPORT = {
    "type": "object",
    "properties": {
        "placement_id": {"type": "integer"},
        "status": {"type": "string"},
        "written": {"type": "boolean", "description": "false for a dry run or a refused placement"},
        **{name: {"type": "integer"} for name in (
            "rows_total", "rows_valid", "rows_rejected", "rows_already_placed", "cases_to_create",
            "cases_to_update", "total_cents")},
        "rejections": {"type": "array", "items": {"type": "object", "properties": {
            "line": {"type": "integer"}, "field": {"type": "string"}, "column": {"type": "string"},
            "value": {"type": "string"}, "reason": {"type": "string"}, "code": {"type": "string"}}}},
        "already_placed": {"type": "array", "items": {"type": "object", "properties": {
            "line": {"type": "integer"}, "invoice_number": {"type": "string"}, "case_reference": {"type": "string"},
            "amount_cents": {"type": "integer"}, "placed_amount_cents": {"type": "integer"},
            "amount_differs": {"type": "boolean"}}}},
        "case_references": {"type": "array", "items": {"type": "string"}},
    },
}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


def openapi_document() -> dict:
    """Return the API description."""
    invoice = {
        "type": "object",
        "properties": {f.key: {"type": "string", "description": str(f.label)} for f in FIELDS},
        "required": ["invoice_number", "due_date", "amount"],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Amiable client API", "version": "1",
                 "description": "Place unpaid invoices with the agency and follow the cases. Amounts are "
                                "integer cents in responses; in requests they are written as in a CSV file "
                                "(\"1234.56\" or \"1 234,56\"). Dates: YYYY-MM-DD or DD/MM/YYYY."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "a client API token issued by the agency"}},
            "schemas": {"Invoice": invoice, "PlacementReport": _REPORT, "Error": _ERROR},
        },
        "security": [{"token": []}],
        "paths": {
            "/placements": {"post": {
                "summary": "Place invoices (all-or-nothing: any rejected row writes nothing)",
                "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "string", "enum": ["1"]},
                                "description": "check and report only"}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "invoices": {"type": "array", "items": {"$ref": "#/components/schemas/Invoice"}},
                        "filename": {"type": "string"},
                        "content_base64": {"type": "string", "description": "a CSV or XLSX file"},
                        "dry_run": {"type": "boolean"}}}},
                    "text/csv": {"schema": {"type": "string"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}},
                }},
                "responses": {
                    "201": {"description": "imported", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/PlacementReport"}}}},
                    "200": {"description": "dry run, or nothing new to import", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/PlacementReport"}}}},
                    "400": {"description": "unreadable request", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "missing, unknown or revoked token"},
                    "422": {"description": "rows rejected, no mandate in force, or columns not recognised",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PlacementReport"}}}},
                },
            }},
            "/cases/{reference}": {"get": {
                "summary": "A case's status and balance",
                "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the case"}, "401": {"description": "bad token"},
                              "404": {"description": "no such case for this client"}},
            }},
        },
    }
