"""What machines ask the platform, not people: /healthz for load balancers, /metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from agency import health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database, Redis (if configured) and the storage answer, 503 otherwise; no sign-in."""
    body, healthy = health.report()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_page():
    """The request and job figures, for callers from METRICS_ALLOW or with the METRICS_TOKEN bearer token."""
    config = current_app.config
    if not metrics.caller_allowed(request.remote_addr, request.headers.get("Authorization", ""),
                                  config["METRICS_TOKEN"], config["METRICS_ALLOW"]):
        abort(403)
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
