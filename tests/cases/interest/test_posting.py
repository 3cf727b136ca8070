"""Posting interest and the indemnity to the ledger: differences only, never twice, corrections when due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from agency.db import db
from agency.models import AuditEvent
from cases.interest.posting import post_interest
from cases.interest.sql import accrued_by_claim
from cases.ledger import balance
from cases.models import EntryKind, LedgerEntry, RatePeriod
from tests.cases.interest.helpers import business_case, insolvency, pay_principal


def _entries(case, kind: EntryKind) -> list[LedgerEntry]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id, LedgerEntry.kind == kind.value)
        .order_by(LedgerEntry.id)
    ).all()


def test_worked_example_posts_interest_with_its_period_and_the_indemnity_once():
    case = business_case([(1_000_000, date(2026, 1, 15))], claims_indemnity=True)
    pay_principal(case, case.claims[0], 1_000_000, date(2026, 3, 16))

    result = post_interest(date(2026, 3, 16), [case.id])

    assert (result.interest_entries, result.indemnity_entries) == (1, 1)
    [interest] = _entries(case, EntryKind.INTEREST)
    assert interest.amount_cents == 19_973
    assert interest.description == "Intérêts de retard du 16/01/2026 au 16/03/2026 (12,15 %)"
    assert interest.accrued_through == date(2026, 3, 16) and interest.claim_id == case.claims[0].id
    [indemnity] = _entries(case, EntryKind.INDEMNITY)
    assert indemnity.amount_cents == 4000 and indemnity.claim_id == case.claims[0].id
    assert balance(case.id).outstanding == 19_973 + 4000
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "interest.posted")).all()[-1]
    assert event.after["interest_entries"] == 1 and event.after["indemnity_entries"] == 1

    # Rerunning, later or the same day, posts nothing: the principal is paid.
    assert post_interest(date(2026, 3, 16), [case.id]).entries == 0
    assert post_interest(date(2026, 5, 1), [case.id]).entries == 0


def test_monthly_postings_add_up_to_the_exact_total():
    case = business_case([(123_457, date(2025, 3, 3))])
    for month in range(4, 13):
        post_interest(date(2025, month, 7), [case.id])
    posted = sum(e.amount_cents for e in _entries(case, EntryKind.INTEREST))
    assert posted == accrued_by_claim([case.id], date(2025, 12, 7))[case.claims[0].id]
    assert len(_entries(case, EntryKind.INTEREST)) == 9


def test_no_indemnity_for_consumers_when_the_mandate_says_no_or_under_insolvency():
    consumer = business_case([(100_000, date(2026, 1, 15))], kind="b2c", claims_indemnity=True)
    refused = business_case([(100_000, date(2026, 1, 15))], claims_indemnity=False)
    insolvent = business_case([(100_000, date(2026, 1, 15))], claims_indemnity=True)
    insolvency(insolvent, date(2026, 2, 1))
    not_late = business_case([(100_000, date(2026, 3, 1))], claims_indemnity=True)

    post_interest(date(2026, 3, 1), [consumer.id, refused.id, insolvent.id, not_late.id])

    for case in (consumer, refused, insolvent, not_late):
        assert _entries(case, EntryKind.INDEMNITY) == []
    # Interest on the insolvent debtor stopped on 31/01: 16 days, 100,000 × 1215 × 16 / 3,650,000 = 532.6…
    assert [e.amount_cents for e in _entries(insolvent, EntryKind.INTEREST)] == [533]


def test_backdated_payment_posts_a_negative_correction():
    case = business_case([(1_000_000, date(2026, 1, 15))])
    claim = case.claims[0]
    post_interest(date(2026, 4, 15), [case.id])  # 90 days: 29,958.9… cents
    assert [e.amount_cents for e in _entries(case, EntryKind.INTEREST)] == [29_959]

    # The payments code posts before and after writing a payment received on 16/03.
    post_interest(date(2026, 3, 16), [case.id])
    pay_principal(case, claim, 1_000_000, date(2026, 3, 16))
    post_interest(date(2026, 3, 16), [case.id])

    entries = _entries(case, EntryKind.INTEREST)
    assert [e.amount_cents for e in entries] == [29_959, 19_973 - 29_959]
    # The horizon is not rolled back: the correction still says through 15/04.
    assert entries[-1].accrued_through == date(2026, 4, 15)
    assert entries[-1].description == "Correction : Intérêts de retard du 16/01/2026 au 15/04/2026 (12,15 %)"
    assert sum(e.amount_cents for e in entries) == 19_973


def test_corrected_rate_posts_the_difference():
    case = business_case([(1_000_000, date(2026, 1, 15))])
    post_interest(date(2026, 3, 16), [case.id])
    rate = db.session.scalar(sa.select(RatePeriod).where(RatePeriod.kind == "ecb",
                                                         RatePeriod.starts_on == date(2026, 1, 1)))
    rate.rate_bp = 240  # 12.40 %: 1,000,000 × 1240 × 60 / 3,650,000 = 20,383.5…
    db.session.flush()
    post_interest(date(2026, 3, 16), [case.id])
    assert [e.amount_cents for e in _entries(case, EntryKind.INTEREST)] == [19_973, 20_384 - 19_973]


def test_paid_and_closed_cases_get_nothing():
    paid = business_case([(100_000, date(2026, 1, 15))], status="paid", claims_indemnity=True)
    closed = business_case([(100_000, date(2026, 1, 15))], status="closed", claims_indemnity=True)
    assert post_interest(date(2026, 3, 1), [paid.id, closed.id]).entries == 0


def test_the_daily_job_posts_only_claims_left_alone_for_thirty_days(app, time_machine):
    from agency.clock import today

    time_machine.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # within the shipped rate tables
    from cases.interest.jobs import post_interest_job

    now = today()
    fresh = business_case([(100_000, date(2026, 1, 15))])
    stale = business_case([(100_000, date(2026, 1, 15))])
    post_interest(now - timedelta(days=29), [fresh.id])
    post_interest(now - timedelta(days=30), [stale.id])

    post_interest_job()

    assert [e.accrued_through for e in _entries(fresh, EntryKind.INTEREST)] == [now - timedelta(days=29)]
    assert [e.accrued_through for e in _entries(stale, EntryKind.INTEREST)] == [now - timedelta(days=30), now]
    assert sum(e.amount_cents for e in _entries(stale, EntryKind.INTEREST)) == accrued_by_claim([stale.id], now)[
        stale.claims[0].id]


def test_a_claim_due_before_the_rate_tables_accrues_from_their_first_half_year():
    from cases.interest.rules import explain

    first = db.session.scalar(sa.select(sa.func.min(RatePeriod.starts_on)))
    case = business_case([(100_000, first - timedelta(days=200))])
    through = first + timedelta(days=89)

    assert post_interest(through, [case.id]).interest_entries == 1
    [interest] = _entries(case, EntryKind.INTEREST)
    # The days before the tables start accrue nothing, and the description says where accrual starts.
    assert interest.description.startswith(f"Intérêts de retard du {first:%d/%m/%Y} au {through:%d/%m/%Y} (")
    [claim] = explain(case, through)
    assert claim.periods[0].start == first and claim.total_cents == interest.amount_cents > 0
