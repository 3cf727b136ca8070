"""The set-based SQL and the Python explanation agree to the cent, and both agree with a day-by-day count."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.db import db
from cases.interest.rules import explain
from cases.interest.sql import accrued_by_claim
from cases.models import EntryKind, RatePeriod
from tests.cases.interest.helpers import business_case, credit, issued_notice, pay_principal, reverse

DAY0 = date(2023, 1, 1)
days = st.integers(min_value=0, max_value=4 * 365)
claim = st.tuples(st.integers(min_value=1, max_value=5_000_000), days)
change = st.tuples(st.sampled_from(["payment", "credit_note", "write_off", "bounced"]), st.integers(0, 2),
                   st.integers(min_value=1, max_value=2_000_000), days)


def _daily_rate(tables: dict, kind: str, contractual: int | None, day: date) -> int | None:
    half = date(day.year, 1 if day.month <= 6 else 7, 1)
    if kind == "b2b":
        if contractual is None:
            ecb = tables.get(("ecb", half))
            return None if ecb is None else ecb + 1000
        other = tables.get(("legal_other", half))
        return None if other is None else max(contractual, 3 * other)
    return tables.get((kind, half))


def _by_hand(kind: str, contractual: int | None, start: date, through: date, changes: list[tuple[date, int]]) -> int:
    """Count interest day by day: principal after the changes of earlier days, at that day's rate."""
    tables = {(k, s): r for k, s, r in db.session.execute(
        sa.select(RatePeriod.kind, RatePeriod.starts_on, RatePeriod.rate_bp))}
    numerator, day = 0, start
    while day <= through:
        rate = _daily_rate(tables, kind, contractual, day)
        if rate is None:
            break
        numerator += sum(amount for on, amount in changes if on < day) * rate
        day += timedelta(days=1)
    return (2 * numerator + 3_650_000) // 7_300_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["b2b", "b2c", "b2c_private"]),
    contractual=st.one_of(st.none(), st.integers(min_value=100, max_value=2500)),
    claims=st.lists(claim, min_size=1, max_size=3),
    changes=st.lists(change, max_size=5),
    notice=st.one_of(st.none(), days),
    through=days,
)
def test_sql_equals_python_equals_counting_days(db_session, kind, contractual, claims, changes, notice, through):
    case = business_case([(cents, DAY0 + timedelta(days=d)) for cents, d in claims],
                         kind="b2b" if kind == "b2b" else "b2c", private=kind == "b2c_private",
                         contractual_rate_bp=contractual if kind == "b2b" else None)
    if notice is not None:
        issued_notice(case, DAY0 + timedelta(days=notice))
    through_day = DAY0 + timedelta(days=through)
    history: dict[int, list[tuple[date, int]]] = {c.id: [(c.due_date, c.amount_cents)] for c in case.claims}
    last_payment = None
    for what, index, cents, d in changes:
        target = case.claims[index % len(case.claims)]
        on = DAY0 + timedelta(days=d)
        if what == "bounced":
            if last_payment is not None:
                reverse(case, last_payment, on)
                history[last_payment.claim_id].append((on, -last_payment.amount_cents))
                last_payment = None
            continue
        if what == "payment":
            last_payment = pay_principal(case, target, cents, on)
        else:
            credit(case, target, EntryKind(what), cents, on)
        history[target.id].append((on, -cents))
    db.session.expire(case, ["ledger_entries"])

    sql = accrued_by_claim([case.id], through_day)
    python = {c.claim_id: c.total_cents for c in explain(case, through_day)}
    assert sql == python

    for c in case.claims:
        if kind == "b2b":
            start, series = c.due_date + timedelta(days=1), "b2b"
        elif notice is None:
            assert sql[c.id] == 0
            continue
        else:
            start = DAY0 + timedelta(days=notice + 1)
            series = "legal_individual" if kind == "b2c_private" else "legal_other"
        assert sql[c.id] == _by_hand(series, contractual if kind == "b2b" else None, start, through_day,
                                     history[c.id])
