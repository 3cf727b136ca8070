"""Pages of cases.messaging."""

from flask import Blueprint

bp = Blueprint("messaging", __name__)
