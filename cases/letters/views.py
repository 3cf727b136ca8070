"""Pages of cases.letters."""

from flask import Blueprint

bp = Blueprint("letters", __name__)
