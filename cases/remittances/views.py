"""Pages of remittances."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("remittances", __name__)
