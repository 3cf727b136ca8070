"""The JSON API for clients' systems: place invoices, read a case. Authenticated by a client's API token."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from agency.db import db
from agency.ratelimit import retry_after
from agency.tokens import authenticate_token
from cases import ledger
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
    try:
        filename, data = _payload()
    except ValueError as exc:
        return _error(400, "bad_request", str(exc))
    body = request.get_json(silent=True) if request.is_json else None
    dry_run = request.args.get("dry_run") == "1" or (isinstance(body, dict) and bool(body.get("dry_run")))
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


def _payload() -> tuple[str, bytes]:
    """Return (filename, bytes) from a CSV/XLSX upload, a base64 file in JSON, or JSON invoices."""
    if "file" in request.files:
        upload = request.files["file"]
        return upload.filename or "placement.csv", upload.read()
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        if "content_base64" in body:
            try:
                return body.get("filename", "placement.csv"), base64.b64decode(body["content_base64"], validate=True)
            except (binascii.Error, TypeError) as exc:
                raise ValueError("content_base64 is not valid base64") from exc
        if isinstance(body.get("invoices"), list):
            return "invoices.csv", _invoices_as_csv(body["invoices"])
    if request.mimetype == "text/csv":
        return "placement.csv", request.get_data()
    raise ValueError("send a file (multipart 'file' or text/csv), or JSON with 'invoices' or 'content_base64'")


def _invoices_as_csv(invoices: list) -> bytes:
    """Turn JSON invoices keyed by field names into a CSV that the same reader and checks take."""
    keys = [f.key for f in FIELDS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(keys)
    for item in invoices:
        if not isinstance(item, dict):
            raise ValueError("each invoice must be an object")
        unknown = set(item) - set(keys)
        if unknown:
            raise ValueError(f"unknown invoice fields: {', '.join(sorted(unknown))}")
        writer.writerow(["" if item.get(k) is None else str(item.get(k)) for k in keys])
    return out.getvalue().encode()


@bp.get("/cases/<reference>")
@token_required
def get_case(reference: str):
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
