"""Money is integer cents from the text people type to the sums the database returns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from agency.db import sum_cents
from agency.money import AmountError, format_money, parse_amount
from cases import ledger
from cases.models import EntryKind, LedgerEntry
from tests import factories


@pytest.mark.parametrize(
    "text, cents",
    [
        ("1 234,56", 123_456),
        ("1.234,56", 123_456),
        ("1234.56", 123_456),
        ("1,234.56", 123_456),
        ("1 234,56 €", 123_456),
        ("€1234.5", 123_450),
        ("0,10", 10),
        ("12", 1_200),
        ("1\u202f234,00", 123_400),
        ("1.234.567", 123_456_700),
        ("-15,00", -1_500),
        ("(15,00)", -1_500),
    ],
)
def test_parse_amount_reads_french_and_english_writing(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "12,345", "1,2,3", "1.23.45", "12.3.4,5x", "1e5"])
def test_parse_amount_refuses_what_is_not_an_amount(text):
    with pytest.raises(AmountError):
        parse_amount(text)


@given(st.integers(min_value=0, max_value=10**13))
def test_parse_amount_round_trips_any_cents(cents):
    text = f"{cents // 100},{cents % 100:02d}"
    assert parse_amount(text) == cents


def test_many_small_amounts_sum_exactly(db_session):
    """1,000 payments of 0.10 € sum to exactly 100.00 € (as floats they would not)."""
    assert sum([0.1] * 1000) != 100.0  # the trap this design avoids
    case = factories.case(amounts=(100_00,))
    for _ in range(1000):
        ledger.post_entry(case, EntryKind.PAYMENT, -parse_amount("0,10"), date(2026, 3, 1))
    db_session.flush()
    total = db_session.scalar(
        sa.select(sum_cents(LedgerEntry.amount_cents)).where(
            LedgerEntry.case_id == case.id, LedgerEntry.kind == "payment"
        )
    )
    assert total == -10_000 and isinstance(total, int)
    assert ledger.balance(case.id).outstanding == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=40))
def test_database_sums_of_cents_are_exact(app, amounts):
    """Large and many amounts: the database sum equals the exact integer sum."""
    from agency.db import db

    with app.app_context():
        case = factories.case(amounts=tuple(amounts))
        db.session.flush()
        assert ledger.balance(case.id).principal == sum(amounts)
        db.session.rollback()


def test_format_money_in_french_and_english():
    assert format_money(123_456, "EUR", "fr_FR") == "1\u202f234,56\xa0€"
    assert format_money(123_456, "EUR", "en_US") == "€1,234.56"
    assert format_money(-5, "EUR", "fr_FR") == "-0,05\xa0€"
    assert Decimal("1234.56") == Decimal(123_456) / 100
