"""Pages of judicial escalation on a case: the panel, proposing, approving, the client's decision, the steps."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("judicial", __name__)
