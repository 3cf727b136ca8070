"""The agency's calendar day, which is not the UTC day around midnight."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app

from agency.db import utcnow


def today() -> date:
    """Return today's date in the agency's time zone (Europe/Paris by default)."""
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
