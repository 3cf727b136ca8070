"""The interest rules, against figures computed by hand."""

from __future__ import annotations

from datetime import date

from cases.interest.rules import explain, round_half_up
from cases.interest.sql import accrued_by_claim
from cases.models import EntryKind, RatePeriod
from tests.cases.interest.helpers import (
    business_case,
    credit,
    insolvency,
    issued_notice,
    pay_principal,
    reverse,
)


def test_worked_example_ten_thousand_euros_sixty_days_at_12_15():
    case = business_case([(1_000_000, date(2026, 1, 15))])
    claim = case.claims[0]
    pay_principal(case, claim, 1_000_000, date(2026, 3, 16))

    # 1,000,000 × 12.15 % × 60 / 365 = 19,972.60… cents.
    assert accrued_by_claim([case.id], date(2026, 6, 1)) == {claim.id: 19_973}
    [explained] = explain(case, date(2026, 6, 1))
    assert explained.total_cents == 19_973
    assert [(p.start, p.end, p.days, p.rate_bp) for p in explained.periods] == [
        (date(2026, 1, 16), date(2026, 3, 16), 60, 1215)
    ]


def test_half_year_split_uses_each_half_years_rate():
    # Formal notice on 15/12/2025: legal rate 2.76 % in 2025 H2, 2.62 % in 2026 H1.
    case = business_case([(500_000, date(2025, 10, 1))], kind="b2c")
    issued_notice(case, date(2025, 12, 15))
    claim = case.claims[0]
    # 16/12 → 31/12/2025: 16 days at 2.76 %; 01/01 → 10/02/2026: 41 days at 2.62 %.
    numerator = 500_000 * (276 * 16 + 262 * 41)
    assert numerator == 7_579_000_000  # / 3,650,000 = 2,076.44 cents
    assert accrued_by_claim([case.id], date(2026, 2, 10)) == {claim.id: 2076}
    periods = explain(case, date(2026, 2, 10))[0].periods
    assert [(p.start, p.end, p.days, p.rate_bp) for p in periods] == [
        (date(2025, 12, 16), date(2025, 12, 31), 16, 276),
        (date(2026, 1, 1), date(2026, 2, 10), 41, 262),
    ]

    # Between businesses, 2025 H1 (13.15 %) to H2 (12.15 %): 16/06 → 30/06 15 days, 01/07 → 10/08 41 days.
    other = business_case([(500_000, date(2025, 6, 15))])
    numerator = 500_000 * (1315 * 15 + 1215 * 41)
    assert numerator == 34_770_000_000  # / 3,650,000 = 9,526.03 cents
    assert accrued_by_claim([other.id], date(2025, 8, 10)) == {other.claims[0].id: 9526}


def test_consumer_case_from_the_formal_notice_at_the_creditors_column():
    case = business_case([(200_000, date(2025, 10, 1))], kind="b2c")
    claim = case.claims[0]
    assert accrued_by_claim([case.id], date(2026, 3, 1)) == {claim.id: 0}
    assert explain(case, date(2026, 3, 1))[0].reason == "no_notice"

    issued_notice(case, date(2026, 1, 31))
    # 01/02 → 01/03/2026: 29 days at 2.62 % ("all other cases"): 200,000 × 262 × 29 / 3,650,000 = 416.3…
    assert accrued_by_claim([case.id], date(2026, 3, 1)) == {claim.id: 416}

    private = business_case([(200_000, date(2025, 10, 1))], kind="b2c", private=True)
    issued_notice(private, date(2026, 1, 31))
    # Same days at 6.67 %: 200,000 × 667 × 29 / 3,650,000 = 1,059.9…
    assert accrued_by_claim([private.id], date(2026, 3, 1)) == {private.claims[0].id: 1060}


def test_contractual_rate_applies_above_the_floor_and_is_raised_to_it_below():
    high = business_case([(1_000_000, date(2026, 1, 15))], contractual_rate_bp=1500)
    # 31 days (16/01 → 15/02) at 15 %: 1,000,000 × 1500 × 31 / 3,650,000 = 12,739.7…
    assert accrued_by_claim([high.id], date(2026, 2, 15)) == {high.claims[0].id: 12_740}
    assert not explain(high, date(2026, 2, 15))[0].floor_applied

    low = business_case([(1_000_000, date(2026, 1, 15))], contractual_rate_bp=500)
    # 5 % is below 3 × 2.62 % = 7.86 %: 1,000,000 × 786 × 31 / 3,650,000 = 6,675.6…
    assert accrued_by_claim([low.id], date(2026, 2, 15)) == {low.claims[0].id: 6676}
    [explained] = explain(low, date(2026, 2, 15))
    assert explained.floor_applied and explained.periods[0].rate_bp == 786


def test_no_interest_under_us_mandates_or_when_not_claimed():
    us = business_case([(1_000_000, date(2026, 1, 15))], jurisdiction="US", claims_indemnity=True)
    off = business_case([(1_000_000, date(2026, 1, 15))], claims_penalties=False)
    assert accrued_by_claim([us.id, off.id], date(2026, 3, 1)) == {us.claims[0].id: 0, off.claims[0].id: 0}
    assert explain(us, date(2026, 3, 1))[0].reason == "us"


def test_insolvency_stops_interest_from_the_holds_start():
    case = business_case([(1_000_000, date(2026, 1, 15))])
    insolvency(case, date(2026, 2, 16))
    # 16/01 → 15/02: 31 days.
    assert accrued_by_claim([case.id], date(2026, 6, 1)) == {case.claims[0].id: 10_319}
    assert explain(case, date(2026, 6, 1))[0].stopped_on == date(2026, 2, 16)


def test_no_interest_past_the_last_half_year_in_the_tables():
    case = business_case([(1_000_000, date(2026, 6, 15))])
    RatePeriod.query.filter(RatePeriod.starts_on >= date(2026, 7, 1)).delete()
    # 16/06 → 30/06 only: 15 days at 12.15 % = 4,993.1…
    assert accrued_by_claim([case.id], date(2026, 9, 1)) == {case.claims[0].id: 4993}
    assert explain(case, date(2026, 9, 1))[0].covered_until == date(2026, 6, 30)


def test_credit_notes_and_reversed_payments_change_the_principal_from_their_day():
    case = business_case([(1_000_000, date(2026, 1, 15))])
    claim = case.claims[0]
    credit(case, claim, EntryKind.CREDIT_NOTE, 400_000, date(2026, 1, 31))
    paid = pay_principal(case, claim, 600_000, date(2026, 2, 15))
    # 16/01 → 31/01: 16 days on 10,000 €; 01/02 → 15/02: 15 days on 6,000 €; then nothing.
    first = 1_000_000 * 1215 * 16 + 600_000 * 1215 * 15
    assert accrued_by_claim([case.id], date(2026, 3, 31)) == {claim.id: round_half_up(first)}
    reverse(case, paid, date(2026, 3, 1))
    # The bounced payment put 6,000 € back from 02/03: 30 more days.
    second = first + 600_000 * 1215 * 30
    assert accrued_by_claim([case.id], date(2026, 3, 31)) == {claim.id: round_half_up(second)}
    assert explain(case, date(2026, 3, 31))[0].total_cents == round_half_up(second)
