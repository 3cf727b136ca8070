"""The judicial file: the pack handed to the court, and the documents uploaded to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("judicial_pack", __name__)
