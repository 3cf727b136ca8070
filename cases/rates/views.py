"""Pages of rates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rates", __name__)
