"""The figures of judicial escalation, as dated data: thresholds, deadlines, fees, the forms' versions.

Each figure is a row of `judicial_setting` from the day it applies (LEGAL-FR §7 and §9 seed them, in
migration 0020); an admin adds a row when a tariff, a decree or a form changes. The figure for a day is
the latest row starting on or before it, so the deadline of an order issued before the decree of
16 February 2026 applies keeps its six months, and a new tariff never changes a fee already recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency import audit
from agency.clock import today
from agency.db import db
from agency.models import User
from agency.money import AmountError, parse_amount
from cases.models import JudicialSetting


@dataclass(frozen=True)
class Figure:
    """What a key means, how its value reads, and what LEGAL-FR seeds it with."""

    key: str
    label: LazyString
    unit: str  # cents, months, days, years, bp (basis points), days_list, text
    seed: tuple[tuple[date, str], ...]
    source: str


FAR_PAST = date(1900, 1, 1)

FIGURES: tuple[Figure, ...] = (
    Figure("small_claims_max_cents", _l("Small claims: largest total claimed, interest included"), "cents",
           ((FAR_PAST, "500000"),), "CPCE L125-1, R125-1"),
    Figure("referral_above_cents", _l("Above this total, suggest a lawyer rather than an order to pay"),
           "cents", ((FAR_PAST, "10000000"),), "agency policy"),
    Figure("order_service_months", _l("Order to pay: months to serve it from its issue"), "months",
           ((FAR_PAST, "6"), (date(2026, 9, 1), "3")), "CPC 1411; décret 2026-96 for orders from 1 Sept 2026"),
    Figure("opposition_months", _l("Order to pay: months for the debtor's opposition from service"), "months",
           ((FAR_PAST, "1"),), "CPC 1416"),
    Figure("enforceable_months", _l("Order to pay: months after service without opposition before enforcing"),
           "months", ((FAR_PAST, "2"),), "décret 2026-96"),
    Figure("small_claims_answer_months", _l("Small claims: months for the debtor to accept"), "months",
           ((FAR_PAST, "1"),), "CPCE R125-3"),
    Figure("title_life_years", _l("Life of a court decision as enforceable title (years)"), "years",
           ((FAR_PAST, "10"),), "CPCE L111-4"),
    Figure("title_increase_bp", _l("Increase of the legal rate on a court award (percentage points)"), "bp",
           ((FAR_PAST, "500"),), "C. mon. fin. L313-3"),
    Figure("title_increase_months", _l("Months after the award is enforceable before the increase"), "months",
           ((FAR_PAST, "2"),), "C. mon. fin. L313-3"),
    Figure("insolvency_filing_months", _l("Insolvency: months to declare a claim from the BODACC publication"),
           "months", ((FAR_PAST, "2"),), "C. com. R622-24"),
    Figure("fee_commercial_court_cents", _l("Greffe fee of an order to pay at the commercial court"), "cents",
           ((FAR_PAST, "3347"),), "tarif des greffes (free in Alsace-Moselle)"),
    Figure("fee_small_claims_filing_cents", _l("Small claims: filing fee, VAT included"), "cents",
           ((FAR_PAST, "1492"),), "arrêté tarifaire des commissaires de justice"),
    Figure("fee_small_claims_title_cents", _l("Small claims: title fee when the debtor agrees, VAT included"),
           "cents", ((FAR_PAST, "2976"),), "arrêté tarifaire des commissaires de justice"),
    Figure("form_commercial", _l("Form of an order to pay at the commercial court"), "text",
           ((FAR_PAST, "Cerfa 12946*02"),), "service-public F1746"),
    Figure("form_judicial", _l("Form of an order to pay at the tribunal judiciaire"), "text",
           ((FAR_PAST, "Cerfa 12948*06"),), "service-public F1746"),
    Figure("form_protection", _l("Form of an order to pay before the juge des contentieux de la protection"),
           "text", ((FAR_PAST, "Cerfa 16040*01"),), "service-public F1746"),
    Figure("alert_days", _l("Alert this many days before a judicial deadline (comma-separated)"), "days_list",
           ((FAR_PAST, "30,7,1"),), "agency policy"),
)
BY_KEY = {figure.key: figure for figure in FIGURES}


class SettingError(ValueError):
    def __init__(self, field: str, message: LazyString | str) -> None:
        super().__init__(str(message))
        self.field = field


def text(key: str, on: date | None = None) -> str:
    """The value of `key` in force on `on` (today by default)."""
    on = on or today()
    value = db.session.scalar(
        sa.select(JudicialSetting.value).where(JudicialSetting.key == key, JudicialSetting.valid_from <= on)
        .order_by(JudicialSetting.valid_from.desc()).limit(1)
    )
    if value is None:  # a key the seed always holds: its absence is a broken database, not bad input
        raise LookupError(f"judicial setting {key!r} has no value on {on}")
    return value


def number(key: str, on: date | None = None) -> int:
    return int(text(key, on))


def days_list(key: str, on: date | None = None) -> list[int]:
    return sorted({int(part) for part in text(key, on).split(",") if part.strip()}, reverse=True)


def history() -> dict[str, list[JudicialSetting]]:
    """Every row of every key, newest first (the admins' page)."""
    rows = db.session.scalars(sa.select(JudicialSetting).order_by(JudicialSetting.key,
                                                                 JudicialSetting.valid_from.desc()))
    grouped: dict[str, list[JudicialSetting]] = {figure.key: [] for figure in FIGURES}
    for row in rows:
        grouped.setdefault(row.key, []).append(row)
    return grouped


def add_value(key: str, raw: str, valid_from: date, *, source: str, actor: User) -> JudicialSetting:
    """Record a new value of `key` from `valid_from`; the earlier rows stay for the days before it."""
    figure = BY_KEY.get(key)
    if figure is None:
        raise SettingError("key", _l("Unknown setting."))
    value = _normalised(figure, raw.strip())
    taken = db.session.scalar(sa.select(JudicialSetting.id).where(JudicialSetting.key == key,
                                                                  JudicialSetting.valid_from == valid_from))
    if taken:
        raise SettingError("valid_from", _l("This setting already has a value from that day: choose another day."))
    row = JudicialSetting(key=key, valid_from=valid_from, value=value, source=source.strip(), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("judicial.setting_added", actor=actor, subject=row,
                 after={"key": key, "value": value, "valid_from": valid_from.isoformat(), "source": row.source})
    return row


def _normalised(figure: Figure, raw: str) -> str:
    if figure.unit == "text":
        if not raw or len(raw) > 120:
            raise SettingError("value", _l("Give a text of at most 120 characters."))
        return raw
    if figure.unit == "days_list":
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if not parts or not all(part.isdigit() and 0 < int(part) <= 365 for part in parts):
            raise SettingError("value", _l("Give days between 1 and 365, separated by commas."))
        return ",".join(str(n) for n in sorted({int(p) for p in parts}, reverse=True))
    if figure.unit == "cents":  # typed in euros, as on the tariff
        try:
            cents = parse_amount(raw)
        except AmountError:
            cents = -1
        if cents < 0:
            raise SettingError("value", _l("Give an amount in euros, such as 33,47."))
        return str(cents)
    if figure.unit == "bp":  # typed in percentage points, such as 5 or 4,5
        try:
            points = parse_amount(raw)  # hundredths, like cents: 5 → 500
        except AmountError:
            points = -1
        if not 0 <= points <= 10_000:
            raise SettingError("value", _l("Give percentage points between 0 and 100."))
        return str(points)
    if not raw.isdigit():
        raise SettingError("value", _l("Give a whole number, without sign or separator."))
    value = int(raw)
    if figure.unit in ("months", "years") and not 1 <= value <= 120:
        raise SettingError("value", _l("Give a number between 1 and 120."))
    return str(value)
