"""Pages of plans."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plans", __name__)
