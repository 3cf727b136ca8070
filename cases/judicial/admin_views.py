"""Managers' list of judicial cases by next deadline, and the admins' page of the law's figures."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("judicial_admin", __name__)
