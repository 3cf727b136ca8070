"""The JSON API for clients' systems: place invoices, read a case. Authenticated by a client's API token."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import BaseConverter

from agency.db import db
from agency.inputs import NulInInput
from agency.ratelimit import retry_after
from agency.tokens import authenticate_token
from cases import ledger
from cases.api_input import InvalidRequest, Problem, check_request, nul_problem
from cases.models import Case
from cases.openapi import openapi_document
from cases.placement.fields import FIELDS
from cases.placement.models import PlacementSource, PlacementStatus
from cases.placement.placements import (
    PlacementError,
    check_placement,
    confirm_placement,
    import_placement,
    receive_file,
)
from cases.placement.report import report_data

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_LINE_BREAK = re.compile(r"\r\n?|\n")  # what ends a line for the CSV reader


class AnyText(BaseConverter):
    """Any text, "/" and line breaks included (the `path` converter stops at a line break)."""

    regex = r"[\s\S]+"
    part_isolating = False  # matched across "/", which Werkzeug cannot tell from this regex


# Every reference reaches the view, to be answered as the document says rather than by the app's 404.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("any_text", AnyText))


def token_required(view):
    """Authenticate `Authorization: Bearer <token>`; the token's client is the only tenant reachable."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = authenticate_token(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
        if token is None:
            return _error(401, "invalid_token", "missing, unknown or revoked API token")
        # Keyed by the token's hash, unique to each token ever issued (ids come back after a rollback).
        wait = retry_after(f"api-token:{token.token_hash}", current_app.config["API_RATE_LIMIT"],
                           current_app.config["API_RATE_WINDOW"])
        if wait is not None:
            response, status = _error(429, "rate_limited", f"too many requests with this token; retry in {wait} s")
            response.headers["Retry-After"] = str(wait)
            return response, status
        g.api_token = token
        return view(*args, **kwargs)

    wrapped.permission = "api"  # read by the route-walking test: token, not session, authentication
    return wrapped


def _error(status: int, code: str, message: str, **extra):
    return jsonify({"error": code, "message": message, **extra}), status


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.post("/placements")
@token_required
def create_placement():
    token = g.api_token
    filename, data, dry_run = _request_file()
    try:
        placement = receive_file(token.client, data, filename, actor=None, source=PlacementSource.API.value,
                                 api_token=token)
        if placement.status == PlacementStatus.MAPPING:
            db.session.rollback()
            return _error(422, "unmapped_columns", "these required columns were not recognised",
                          headers=placement.headers)
        plan = check_placement(placement)
    except PlacementError as exc:
        db.session.rollback()
        return _error(422, "refused", str(exc))
    if placement.rows_rejected or dry_run or placement.rows_valid == 0:
        body = report_data(placement, staff=False)
        db.session.rollback()  # a rejected or dry-run placement leaves the database as it was
        status = 422 if placement.rows_rejected else 200
        return jsonify(body | {"written": False}), status
    try:
        confirm_placement(placement, None)
        written = import_placement(placement, None, checked=plan)
        db.session.commit()
    except IntegrityError:
        # Another placement wrote some of these invoices between the check and the import.
        db.session.rollback()
        return _error(409, "conflict", "some invoices were placed meanwhile; send the request again")
    return jsonify(report_data(placement, written.references, staff=False) | {"written": True}), 201


def _request_file() -> tuple[str, bytes, bool]:
    """Return (filename, bytes, dry run) from JSON invoices, a base64 file in JSON, CSV text or an upload.

    The request is checked against the OpenAPI document first: whatever it refuses reads nothing.
    """
    document, args = openapi_document(), request.args
    if request.is_json:
        try:
            body = request.get_json()
        except BadRequest as exc:
            raise BadRequest(_("The body is not valid JSON.")) from exc
        check_request(document, "/placements", "post", args=args, path_args={}, body=body,
                      media_type="application/json")
    else:
        check_request(document, "/placements", "post", args=args, path_args={})
        body = {}
    dry_run = args.get("dry_run") == "1" or body.get("dry_run") is True
    if "content_base64" in body:
        try:
            data = base64.b64decode(body["content_base64"], validate=True)
        except binascii.Error as exc:  # the document's pattern reads a final newline as ECMAScript does
            raise InvalidRequest([Problem(("content_base64",), "not_base64", _("Not valid base64."))]) from exc
        return body.get("filename", "placement.csv"), data, dry_run
    if "invoices" in body:
        return "invoices.csv", _invoices_as_csv(body["invoices"]), dry_run
    if request.mimetype == "text/csv":
        return "placement.csv", request.get_data(), dry_run
    if request.mimetype == "multipart/form-data":
        if "file" not in request.files:
            raise InvalidRequest([Problem(("file",), "missing", _("This value is required."))])
        upload = request.files["file"]
        return upload.filename or "placement.csv", upload.read(), dry_run
    raise UnsupportedMediaType(_("Send JSON (invoices or content_base64), CSV text (text/csv) or a file "
                                 "(multipart/form-data, field file)."))


def _invoices_as_csv(invoices: list[dict]) -> bytes:
    """Turn JSON invoices keyed by field names (checked against the document) into a CSV the reader takes.

    One line per invoice, so that an invoice's line in every answer is its position + 2: a line break
    in a value becomes a space (the columns the values end in hold one line).
    """
    keys = [f.key for f in FIELDS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(keys)
    for item in invoices:
        writer.writerow([_LINE_BREAK.sub(" ", item.get(k, "")) for k in keys])
    return out.getvalue().encode()


@bp.get("/cases/<any_text:reference>")
@token_required
def get_case(reference: str):
    check_request(openapi_document(), "/cases/{reference}", "get", args=request.args,
                  path_args={"reference": reference})
    case = db.session.scalar(sa.select(Case).where(Case.reference == reference, Case.client_id == g.api_token.client_id))
    if case is None:
        abort(404)
    balance = ledger.balance(case.id)
    db.session.commit()  # the token's last use
    return jsonify({
        "reference": case.reference, "status": case.status, "kind": case.kind, "currency": case.currency,
        "opened_on": case.opened_on.isoformat(), "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "client_reference": case.client_reference,
        "balance": {"principal_cents": balance.principal, "interest_cents": balance.interest,
                    "indemnity_cents": balance.indemnity, "costs_cents": balance.costs, "paid_cents": balance.paid,
                    "other_credits_cents": balance.other_credits, "outstanding_cents": balance.outstanding},
        "invoices": [{"invoice_number": c.invoice_number, "due_date": c.due_date.isoformat(),
                      "amount_cents": c.amount_cents} for c in case.claims],
    })


@bp.errorhandler(404)
def not_found(_exc):
    return _error(404, "not_found", "no such case for this client")


@bp.errorhandler(InvalidRequest)
def invalid_request(exc: InvalidRequest):
    return _error(422, "invalid_request", str(exc), errors=[p.as_json() for p in exc.problems])


@bp.errorhandler(NulInInput)
def nul_in_input(exc: NulInInput):
    return invalid_request(InvalidRequest([nul_problem((exc.field,))]))


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest):
    return _error(400, "bad_request", exc.description)


@bp.errorhandler(UnsupportedMediaType)
def unsupported_media_type(exc: UnsupportedMediaType):
    return _error(415, "unsupported_media_type", exc.description)
