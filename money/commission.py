"""The agency's commission on collected amounts, as the client's mandate sets it (R124-3).

Commission is the client's cost: it is charged on every amount collected, payments made directly to
the client included, and never appears in a debtor's balance (L111-8 CPCE).
"""

from __future__ import annotations

from datetime import date

from agency.models import CommissionBand, Mandate


def commission_rate_bp(mandate: Mandate, *, principal_cents: int, age_days: int) -> int:
    """Return the rate for a case: the band with the highest (age, principal) thresholds it reaches, else the mandate's."""
    reached = [
        band
        for band in mandate.commission_bands
        if band.from_age_days <= age_days and band.from_principal_cents <= principal_cents
    ]
    if not reached:
        return mandate.commission_bp
    best: CommissionBand = max(reached, key=lambda b: (b.from_age_days, b.from_principal_cents))
    return best.rate_bp


def case_age_days(oldest_due: date, placed_on: date) -> int:
    """Return the age of a debt when placed: days from its oldest due date to the placement."""
    return max((placed_on - oldest_due).days, 0)


def commission_of(amount_cents: int, rate_bp: int, vat_bp: int) -> tuple[int, int]:
    """Return (commission, VAT on it) in cents for a collected amount, each rounded half away from zero."""
    commission = _round_div(amount_cents * rate_bp, 10_000)
    return commission, _round_div(commission * vat_bp, 10_000)


def _round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (the commercial rounding of invoices)."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
