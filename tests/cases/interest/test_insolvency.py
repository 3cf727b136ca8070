"""Insolvency: interest stops on the opening judgment's date, however late the hold is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from cases.interest.posting import post_interest
from cases.interest.rules import explain, round_half_up
from cases.interest.sql import accrued_by_claim
from cases.models import EntryKind, LedgerEntry
from debtors.holds import put_on_hold
from tests.cases.interest.helpers import business_case

RECORDED = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # the agency learns of the judgment months later
# 10,000 € due 15/01/2026 at 12.15 %: from 16/01 to 15/02, 31 days = 10,319.17… cents.
THIRTY_ONE_DAYS = 10_319


@pytest.fixture
def case(db_session, time_machine):
    time_machine.move_to(RECORDED, tick=False)
    return business_case([(1_000_000, date(2026, 1, 15))])


def test_interest_stops_on_the_judgment_date_in_python_and_in_sql(case, db_session):
    put_on_hold(case.debtor, "insolvency", actor=None, reason="Redressement judiciaire",
                reference_date=date(2026, 2, 16), bodacc_published_on=date(2026, 2, 27))
    claim = case.claims[0]
    assert accrued_by_claim([case.id], date(2026, 6, 1)) == {claim.id: THIRTY_ONE_DAYS}
    [explained] = explain(case, date(2026, 6, 1))
    assert explained.total_cents == THIRTY_ONE_DAYS and explained.stopped_on == date(2026, 2, 16)
    assert [(p.start, p.end, p.days) for p in explained.periods] == [(date(2026, 1, 16), date(2026, 2, 15), 31)]
    assert not explained.indemnity  # no €40 claimable under insolvency proceedings

    post_interest(date(2026, 6, 2), [case.id])
    posted = sa.select(sa.func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.INTEREST.value)
    assert db_session.scalar(posted) == THIRTY_ONE_DAYS


def test_without_a_judgment_date_interest_stops_on_the_day_the_hold_was_recorded(case):
    put_on_hold(case.debtor, "insolvency", actor=None, reason="Redressement judiciaire")
    claim = case.claims[0]
    # 16/01 → 01/06: 137 days, the most that can be said without the judgment's date.
    assert accrued_by_claim([case.id], date(2026, 6, 30)) == {claim.id: round_half_up(1_000_000 * 1215 * 137)}
    assert explain(case, date(2026, 6, 30))[0].stopped_on == date(2026, 6, 2)
