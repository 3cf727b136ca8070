"""Money as integer cents: parsing what people type and files contain, and formatting for display.

No float ever holds an amount: text goes to `Decimal`, then to `int` cents.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _

from agency.config import DEFAULT_MAX_CASE_CENTS, DEFAULT_MAX_INVOICE_CENTS

_CURRENCY_MARKS = re.compile(r"[€$£]|EUR|USD|GBP", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f']")


class AmountError(ValueError):
    """Raised with a message fit for the user when a text is not an amount."""


def parse_amount(text: str) -> int:
    """Return the cents in an amount as written in France or elsewhere ("1 234,56 €", "1.234,56", "1234.56")."""
    raw = _SPACES.sub("", _CURRENCY_MARKS.sub("", str(text))).strip()
    if not raw:
        raise AmountError("empty amount")
    negative = raw.startswith("-") or (raw.startswith("(") and raw.endswith(")"))
    raw = raw.strip("-()+")
    if not re.fullmatch(r"[0-9.,]+", raw):
        raise AmountError(f"not a number: {text!r}")
    raw = _normalize_separators(raw, text)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise AmountError(f"not a number: {text!r}") from exc
    if value != value.quantize(Decimal("0.01")):
        raise AmountError(f"more than two decimals: {text!r}")
    cents = int(value * 100)
    return -cents if negative else cents


def _normalize_separators(raw: str, original: str) -> str:
    """Turn the digits-and-separators string into a plain `1234.56` form."""
    last_comma, last_dot = raw.rfind(","), raw.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
        thousands = "." if decimal_sep == "," else ","
        raw = raw.replace(thousands, "")
        return raw.replace(",", ".")
    sep = "," if last_comma >= 0 else "." if last_dot >= 0 else ""
    if not sep:
        return raw
    parts = raw.split(sep)
    if len(parts) > 2:  # "1.234.567" : only thousands separators
        if any(len(p) != 3 for p in parts[1:]):
            raise AmountError(f"misplaced separators: {original!r}")
        return "".join(parts)
    return raw.replace(",", ".")


def cents_to_decimal(cents: int) -> Decimal:
    """Return `cents` as a Decimal amount of currency units."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_money(cents: int | None, currency: str = "EUR", locale: str = "fr_FR") -> str:
    """Format cents for people: "1 234,56 €" in French, "€1,234.56" in English."""
    if cents is None:
        return ""
    return format_currency(cents_to_decimal(cents), currency, locale=locale)


# --- bounds: one check for every path an amount comes in by (placement rows, the API, forms) ----------


def invoice_limit_cents() -> int:
    """The most one invoice may amount to (MAX_INVOICE_CENTS; its default outside an application)."""
    return current_app.config["MAX_INVOICE_CENTS"] if has_app_context() else DEFAULT_MAX_INVOICE_CENTS


def case_limit_cents() -> int:
    """The most one case (its invoices together), one payment or one promise may amount to (MAX_CASE_CENTS)."""
    return current_app.config["MAX_CASE_CENTS"] if has_app_context() else DEFAULT_MAX_CASE_CENTS


def limit_text(limit_cents: int, currency: str | None = "EUR") -> str:
    """Return a bound as people read it in the current language ("100 000 000,00 €"; no symbol without currency)."""
    locale = str(get_locale() or "fr")
    if currency is None:
        return format_decimal(cents_to_decimal(limit_cents), "#,##0.00", locale=locale)
    return format_money(limit_cents, currency, locale=locale)


def too_large_message(limit_cents: int, currency: str = "EUR") -> str:
    """Return the message of an amount beyond `limit_cents`, for the field that holds it."""
    return _("Amount too high: at most %(limit)s.", limit=limit_text(limit_cents, currency))
