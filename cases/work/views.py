"""Pages of cases.work."""

from flask import Blueprint

bp = Blueprint("work", __name__)
