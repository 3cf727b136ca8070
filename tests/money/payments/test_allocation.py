"""Allocation of a payment (C. civ. 1342-10, 1343-1), as a pure function of the open items."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import AppliesTo
from money.payments.allocation import CLAIM_ORDER, ClaimItems, Line, allocate, claim_order

pytestmark = pytest.mark.no_db

PAID_ON = date(2026, 3, 16)


def claim(claim_id, due, *, issued=None, costs=0, indemnity=0, interest=0, principal=0):
    return ClaimItems(claim_id, due, issued or due - timedelta(days=30), costs, indemnity, interest, principal)


def test_interest_and_indemnity_are_paid_before_principal_within_a_claim():
    items = [claim(1, date(2026, 1, 15), indemnity=4_000, interest=19_973, principal=1_000_000)]
    lines = allocate(30_000, items, paid_on=PAID_ON)
    assert lines == [
        Line(1, AppliesTo.INDEMNITY, 4_000),
        Line(1, AppliesTo.INTEREST, 19_973),
        Line(1, AppliesTo.PRINCIPAL, 6_027),
    ]


def test_the_oldest_due_claim_is_paid_first_whatever_the_order_given():
    newer = claim(1, date(2026, 2, 1), principal=5_000)
    older = claim(2, date(2025, 12, 1), principal=5_000)
    lines = allocate(6_000, [newer, older], paid_on=PAID_ON)
    assert lines == [Line(2, AppliesTo.PRINCIPAL, 5_000), Line(1, AppliesTo.PRINCIPAL, 1_000)]


def test_claims_already_due_come_before_claims_not_yet_due_even_older_issued_ones():
    not_due = claim(1, date(2026, 4, 30), issued=date(2025, 1, 1), principal=5_000)
    due = claim(2, date(2026, 3, 1), issued=date(2026, 2, 1), principal=5_000)
    assert [c.claim_id for c in claim_order([not_due, due], PAID_ON)] == [2, 1]
    # A claim falling due on the very day of the payment is due.
    due_today = claim(3, PAID_ON, principal=100)
    assert [c.claim_id for c in claim_order([not_due, due_today], PAID_ON)] == [3, 1]


def test_same_due_date_goes_by_issue_date_then_id():
    a = claim(5, date(2026, 1, 1), issued=date(2025, 12, 1), principal=1)
    b = claim(3, date(2026, 1, 1), issued=date(2025, 11, 1), principal=1)
    c = claim(4, date(2026, 1, 1), issued=date(2025, 12, 1), principal=1)
    assert [x.claim_id for x in claim_order([a, b, c], PAID_ON)] == [3, 4, 5]


def test_the_debtors_choice_comes_first_in_the_order_given():
    old = claim(1, date(2025, 6, 1), interest=500, principal=5_000)
    mid = claim(2, date(2025, 9, 1), principal=5_000)
    new = claim(3, date(2026, 2, 1), principal=5_000)
    lines = allocate(9_000, [old, mid, new], paid_on=PAID_ON, debtor_choice=[3, 2])
    assert lines == [Line(3, AppliesTo.PRINCIPAL, 5_000), Line(2, AppliesTo.PRINCIPAL, 4_000)]
    # Within a chosen claim, interest still comes before principal (art. 1343-1).
    lines = allocate(1_000, [old, mid], paid_on=PAID_ON, debtor_choice=[1])
    assert lines == [Line(1, AppliesTo.INTEREST, 500), Line(1, AppliesTo.PRINCIPAL, 500)]


def test_case_costs_come_first_and_the_excess_is_a_credit():
    items = [claim(1, date(2026, 1, 1), principal=1_000)]
    lines = allocate(2_500, items, paid_on=PAID_ON, case_costs=700)
    assert lines == [
        Line(None, AppliesTo.COST, 700),
        Line(1, AppliesTo.PRINCIPAL, 1_000),
        Line(None, AppliesTo.CREDIT, 800),
    ]


def test_nothing_owed_makes_the_whole_payment_a_credit_and_a_non_positive_amount_is_refused():
    assert allocate(100, [], paid_on=PAID_ON) == [Line(None, AppliesTo.CREDIT, 100)]
    with pytest.raises(ValueError):
        allocate(0, [], paid_on=PAID_ON)


cents = st.integers(min_value=0, max_value=500_000)
claims_strategy = st.lists(
    st.builds(
        claim,
        st.integers(min_value=1, max_value=10_000),
        st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
        costs=cents, indemnity=st.sampled_from([0, 4_000]), interest=cents, principal=cents,
    ),
    max_size=6,
    unique_by=lambda c: c.claim_id,
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=3_000_000),
    claims=claims_strategy,
    case_costs=cents,
    choice_picks=st.lists(st.integers(min_value=0, max_value=5), max_size=3),
)
def test_allocation_sums_to_the_amount_never_exceeds_an_item_and_keeps_the_order(amount, claims, case_costs,
                                                                                  choice_picks):
    choice = [claims[i].claim_id for i in choice_picks if i < len(claims)]
    lines = allocate(amount, claims, paid_on=PAID_ON, case_costs=case_costs, debtor_choice=choice)

    assert sum(line.amount_cents for line in lines) == amount
    assert all(line.amount_cents > 0 for line in lines)
    by_id = {c.claim_id: c for c in claims}
    seen = set()
    for line in lines:
        key = (line.claim_id, line.applies_to)
        assert key not in seen  # one line per (claim, part)
        seen.add(key)
        if line.applies_to == AppliesTo.CREDIT:
            assert line.claim_id is None
        elif line.claim_id is None:
            assert line.amount_cents <= case_costs
        else:
            assert line.amount_cents <= by_id[line.claim_id].owed(line.applies_to)
    # A credit only once everything is paid.
    owed = case_costs + sum(c.total for c in claims)
    credit = sum(line.amount_cents for line in lines if line.applies_to == AppliesTo.CREDIT)
    assert credit == max(amount - owed, 0)

    # Lines follow the expected order, and an item is only touched once every earlier item is settled.
    order = [(None, AppliesTo.COST)] + [
        (c.claim_id, part) for c in claim_order(claims, PAID_ON, choice) for part in CLAIM_ORDER
    ]
    position = {key: i for i, key in enumerate(order)}
    positions = [position[(ln.claim_id, ln.applies_to)] for ln in lines if ln.applies_to != AppliesTo.CREDIT]
    assert positions == sorted(positions)
    paid = {(ln.claim_id, ln.applies_to): ln.amount_cents for ln in lines}
    if positions:
        for key in order[: positions[-1]]:
            owed_here = case_costs if key[0] is None else by_id[key[0]].owed(key[1])
            assert paid.get(key, 0) == owed_here
    # The debtor's chosen claims come first, in the order given.
    chosen = list(dict.fromkeys(choice))
    assert [c.claim_id for c in claim_order(claims, PAID_ON, choice)][: len(chosen)] == chosen
