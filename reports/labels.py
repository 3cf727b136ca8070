"""Labels of the dashboard's channels and strategy steps, in the user's language."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from agency.db import db
from agency.money import format_money
from cases.closing.labels import REASON
from cases.labels import ACTION
from cases.models import ClosingReason
from cases.work.strategy import STEPS
from reports.figures import NO_CONTACT


def channel(key: str) -> str:
    """Return the label of an attribution channel (an action kind, or no contact)."""
    return _l("No contact") if key == NO_CONTACT else ACTION.get(key, key)


def step(key: str) -> str:
    """Return the label of a strategy-step key: "step-3", "step-manual" or no contact."""
    if key == NO_CONTACT:
        return _l("No contact")
    if key == "step-manual":
        return _l("Outside the strategy")
    number = int(key.removeprefix("step-"))
    found = STEPS.get(number)
    return f"{number}. {found.label}" if found else str(number)


def closing_reasons(codes: Iterable[str]) -> dict[str, str]:
    """Return the label of each closing reason's code: a built-in one translated, the agency's own in its words."""
    wanted = set(codes)
    own = dict(db.session.execute(
        sa.select(ClosingReason.code, ClosingReason.label).where(ClosingReason.code.in_(wanted - set(REASON)))).all())
    return {code: str(REASON[code]) if code in REASON else own.get(code) or code or str(_l("No reason recorded"))
            for code in wanted}


def percent(value: Decimal | None) -> str:
    """Write a rate as "12,3 %" in French, "12.3 %" in English; a dash when there is nothing to divide."""
    if value is None:
        return "—"
    text = f"{value:.1f}"
    return (text.replace(".", ",") if str(get_locale() or "fr").startswith("fr") else text) + "\u202f%"


def money_share(cents: int, share: Decimal | None) -> str:
    """Write an amount and its share: "1 234,56 € · 40,0 %"."""
    return f"{format_money(cents, locale=str(get_locale() or 'fr'))} · {percent(share)}"


def days(value: Decimal | None) -> str:
    """Write a number of days with one decimal: "12,5 j" in French; a dash when there is none."""
    if value is None:
        return "—"
    return _l("%(n)s d", n=percent(value).removesuffix("\u202f%"))
