"""The priority score: each documented part, set-based refresh, and the explanation adding up."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from agency.models import AuditEvent
from cases.ledger import post_entry
from cases.models import Action, Case, EntryKind, Promise
from cases.queue.jobs import refresh_queue_scores
from cases.queue.queue import explain_score, refresh_scores
from tests.cases.queue.helpers import HOUR, NOW, queued_case

TODAY = date(2026, 3, 2)  # NOW's day in Paris
DAY = timedelta(days=1)


def _score(db_session, case: Case) -> int:
    db_session.expire(case, ["queue_score"])
    return case.queue_score


def test_amount_and_age_follow_the_documented_tiers(db_session):
    small = queued_case()  # 123.45 EUR, due 61 days before NOW
    big = queued_case(amounts=(900_000, 600_000), opened_on=date(2025, 1, 1))  # 15,000 EUR, 485 days
    fresh = queued_case(amounts=(50_000,))  # 500 EUR
    fresh.claims[0].due_date = TODAY - 45 * DAY
    assert refresh_scores(NOW) >= 3
    assert _score(db_session, small) == 40 + 40
    assert _score(db_session, big) == 300 + 100
    assert _score(db_session, fresh) == 80 + 20


def test_payments_lower_the_amount_part(db_session):
    case = queued_case(amounts=(150_000,))  # 1,500 EUR: 120 points
    refresh_scores(NOW)
    assert _score(db_session, case) == 120 + 40
    post_entry(case, EntryKind.PAYMENT, -140_000, TODAY - DAY)  # 100 EUR left: 40 points
    refresh_scores(NOW)
    assert _score(db_session, case) == 40 + 40


def test_promises_callbacks_and_risk_add_their_points(db_session):
    case = queued_case()
    case.debtor.risk_score = 70
    case.callback_at = NOW + 5 * HOUR  # later today, Paris time
    db_session.add(Promise(case=case, amount_cents=1_000, due_on=TODAY, status="pending"))
    db_session.add(Promise(case=case, amount_cents=2_000, due_on=TODAY - 2 * DAY, status="broken",
                           resolved_at=NOW - DAY))  # fmt: skip
    db_session.flush()
    refresh_scores(NOW)
    assert _score(db_session, case) == 80 + 70 + 300 + 200 + 500

    # A call after the break answers it; a callback for tomorrow or of two weeks ago is not for now.
    db_session.add(Action(case=case, kind="call", channel="phone", status="done", done_at=NOW - HOUR))
    case.callback_at = NOW + 2 * DAY
    db_session.flush()
    refresh_scores(NOW)
    assert _score(db_session, case) == 80 + 70 + 200
    case.callback_at = NOW - 14 * DAY
    case.debtor.risk_score = 250  # counted at most 100
    db_session.flush()
    refresh_scores(NOW)
    assert _score(db_session, case) == 80 + 100 + 200


def test_explanation_adds_up_to_the_refreshed_score(db_session):
    cases = [
        queued_case(),
        queued_case(amounts=(2_500_000,), opened_on=date(2025, 6, 1)),
        queued_case(amounts=(60_000, 45_000), opened_on=date(2026, 1, 10)),
    ]
    cases[1].debtor.risk_score = 35
    cases[2].callback_at = NOW
    db_session.add(Promise(case=cases[0], amount_cents=500, due_on=TODAY, status="pending"))
    db_session.add(Promise(case=cases[2], amount_cents=900, due_on=TODAY - DAY, status="broken", resolved_at=NOW - HOUR))
    db_session.flush()
    refresh_scores(NOW)
    for case in cases:
        parts = explain_score(case, NOW)
        assert sum(points for _label, points in parts) == _score(db_session, case) > 0
    labels = [label for label, _points in explain_score(cases[2], NOW)]
    assert any("050,00" in label for label in labels)  # the outstanding amount (1,050 EUR), in French
    assert len(labels) == 4  # amount, age, broken promise, callback


def test_refresh_is_set_based_touches_only_open_cases_and_reports_changes(db_session):
    open_case = queued_case()
    paid = queued_case(status="paid")
    paid.queue_score = 7
    db_session.flush()
    changed = refresh_scores(NOW)
    assert changed >= 1
    assert _score(db_session, open_case) == 80 and _score(db_session, paid) == 7
    assert refresh_scores(NOW) == 0  # nothing changed since


def test_refresh_of_some_cases_leaves_the_others(db_session):
    one, other = queued_case(), queued_case()
    assert refresh_scores(NOW, [one.id]) == 1
    assert (_score(db_session, one), _score(db_session, other)) == (80, 0)


def test_the_daily_job_refreshes_the_scores(db_session):
    case = queued_case(amounts=(1_000_000,), opened_on=date(2025, 1, 1))
    refresh_queue_scores()  # at the real present: the case is more than a year past due by then
    assert _score(db_session, case) == 300 + 100
    assert not db_session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action.like("case.lease%")))


def test_closed_case_explanation_still_reads(db_session):
    case = queued_case(status="closed")
    assert [points for _label, points in explain_score(case, NOW)] == [40, 40]
