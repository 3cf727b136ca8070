""""Next": which case a collector gets, leases taken, renewed, finished, released and expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from agency.models import AuditEvent
from cases.models import Case
from cases.queue.jobs import expire_queue_leases
from cases.queue.leases import (
    COME_BACK,
    LEASE,
    StaleLease,
    expire_leases,
    finish_case,
    lease_next_case,
    release_case,
    renew_lease,
)
from cases.queue.queue import QueueError, queue_counts
from debtors.models import Hold
from tests import factories
from tests.cases.queue.helpers import HOUR, NOW, queued_case

MINUTE = timedelta(minutes=1)


@pytest.fixture
def crew(db_session):
    """Two teams; Camille and Paul in team A, Lucie in team B."""
    camille, paul, lucie = (factories.user("collector") for _ in range(3))
    team_a = factories.team(members=(camille, paul))
    team_b = factories.team(members=(lucie,))
    return {"camille": camille, "paul": paul, "lucie": lucie, "a": team_a, "b": team_b}


def _actions(db_session, action: str) -> list[AuditEvent]:
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _finish(case, user, now=NOW) -> None:
    """Finish the lease the user holds on `case`, as its page's Finish button does."""
    finish_case(case, user, case.lease_token, now)


def test_a_collector_in_two_teams_works_both_pools(db_session, crew):
    """Lucie joins team A as well as B: both pools come to her, best first; Paul's single team is unchanged."""
    lucie, paul = crew["lucie"], crew["paul"]
    lucie.teams.append(crew["a"])
    db_session.flush()
    assert [t.id for t in crew["a"].members] == sorted(u.id for u in (crew["camille"], lucie, paul))
    in_a = queued_case(team=crew["a"], score=500)
    in_b = queued_case(team=crew["b"], score=300)
    other = factories.team()
    queued_case(team=other, score=900)  # a pool she is not in
    queued_case(team=crew["b"], score=100, due=NOW + HOUR)  # planned, not due
    counts = queue_counts(lucie, NOW)
    assert (counts.pool_due, counts.pool_planned) == (2, 3)
    assert queue_counts(paul, NOW).pool_due == 1  # only team A's

    assert lease_next_case(lucie, NOW).case is in_a
    assert lease_next_case(paul, NOW).case is None  # team A's only case is Lucie's now
    _finish(in_a, lucie)
    assert lease_next_case(lucie, NOW).case is in_b
    _finish(in_b, lucie)
    assert lease_next_case(lucie, NOW).case is None


def test_next_is_the_best_due_case_of_own_queue_or_team_pool(db_session, crew):
    camille = crew["camille"]
    mine = queued_case(collector=camille, score=100)
    pool = queued_case(team=crew["a"], score=300)
    queued_case(team=crew["b"], score=900)  # another team's pool
    queued_case(collector=crew["paul"], team=crew["a"], score=950)  # a teammate's own case
    queued_case(score=990)  # in no queue
    queued_case(team=crew["a"], score=999, due=NOW + HOUR)  # not due yet
    queued_case(team=crew["a"], score=998, due=None)  # nothing planned
    queued_case(team=crew["a"], score=997, status="dispute")
    queued_case(team=crew["a"], score=996, status="paid")
    assert queue_counts(camille, NOW).mine_due == 1 and queue_counts(camille, NOW).pool_due == 1

    first = lease_next_case(camille, NOW)
    assert first.case is pool and pool.leased_by_id == camille.id and pool.lease_expires_at == NOW + LEASE
    _finish(pool, camille)
    second = lease_next_case(camille, NOW)
    assert second.case is mine
    _finish(mine, camille)
    assert lease_next_case(camille, NOW).case is None
    leased = _actions(db_session, "case.leased")
    assert [e.subject_id for e in leased] == [pool.id, mine.id] and leased[0].actor_id == camille.id


def test_equal_scores_go_oldest_due_first(db_session, crew):
    later = queued_case(team=crew["a"], score=50, due=NOW - HOUR)
    earlier = queued_case(team=crew["a"], score=50, due=NOW - 3 * HOUR)
    assert lease_next_case(crew["camille"], NOW).case is earlier
    assert lease_next_case(crew["paul"], NOW).case is later


def test_a_case_held_by_someone_else_is_skipped_until_the_lease_runs_out(db_session, crew):
    camille, paul = crew["camille"], crew["paul"]
    case = queued_case(team=crew["a"], score=10)
    assert lease_next_case(camille, NOW).case is case
    assert lease_next_case(paul, NOW + 5 * MINUTE).case is None
    taken = lease_next_case(paul, NOW + LEASE + MINUTE)
    assert taken.case is case and case.leased_by_id == paul.id
    assert _actions(db_session, "case.leased")[-1].before["leased_by_id"] == camille.id


def test_holds_keep_cases_out_of_the_queue(db_session, crew):
    held = queued_case(team=crew["a"], score=90)
    db_session.add(Hold(debtor_id=held.debtor_id, kind="insolvency", started_at=NOW - 24 * HOUR))
    disputed = queued_case(team=crew["a"], score=80)
    sibling = queued_case(team=crew["a"], score=70, debtor_row=disputed.debtor, client_row=disputed.client)
    db_session.add(Hold(debtor_id=disputed.debtor_id, case_id=disputed.id, kind="dispute", started_at=NOW - HOUR))
    ended = queued_case(team=crew["a"], score=60)
    db_session.add(Hold(debtor_id=ended.debtor_id, kind="deceased", started_at=NOW - 48 * HOUR, ended_at=NOW - HOUR))
    db_session.flush()
    # A dispute holds its own case only; an ended hold no longer counts.
    assert lease_next_case(crew["camille"], NOW).case is sibling
    _finish(sibling, crew["camille"])
    assert lease_next_case(crew["camille"], NOW).case is ended
    _finish(ended, crew["camille"])
    assert lease_next_case(crew["camille"], NOW).case is None


def test_cases_the_contact_rules_refuse_now_are_passed_over(db_session, crew):
    camille = crew["camille"]
    no_phone = queued_case(team=crew["a"], score=90, phone=False)
    opted_out = queued_case(team=crew["a"], score=80)
    opted_out.debtor.contact_points[0].opted_out_at = NOW - 24 * HOUR
    callable_case = queued_case(team=crew["a"], score=10)
    db_session.flush()
    found = lease_next_case(camille, NOW)
    assert found.case is callable_case
    assert no_phone.leased_by_id is None and opted_out.leased_by_id is None

    evening = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 in Paris: no calls
    late = queued_case(team=crew["a"], score=5, due=evening - HOUR)
    nothing = lease_next_case(camille, evening)
    assert nothing.case is None and late.leased_by_id is None
    # The case leased at 10:30 is free again by then, but not callable either.
    assert nothing.refused == {"outside_hours": 2, "no_contact_point": 1, "opted_out": 1}
    assert nothing.next_allowed_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 the next morning


def test_many_refused_cases_do_not_hide_a_callable_one(db_session, crew):
    for score in range(100, 125):
        queued_case(team=crew["a"], score=score, phone=False)
    callable_case = queued_case(team=crew["a"], score=1)
    found = lease_next_case(crew["camille"], NOW)
    assert found.case is callable_case and found.refused["no_contact_point"] == 25


def test_next_while_holding_a_case_returns_it_and_finishing_brings_the_next(db_session, crew):
    camille = crew["camille"]
    first = queued_case(team=crew["a"], score=20)
    second = queued_case(team=crew["a"], score=10)
    taken = lease_next_case(camille, NOW)
    assert taken.case is first and not taken.held
    lease = first.lease_token
    later = NOW + 10 * MINUTE
    again = lease_next_case(camille, later)  # a double click, or "Next" from the queue page
    assert again.case is first and again.held
    assert first.lease_expires_at == later + LEASE and first.lease_token == lease  # renewed, the same lease
    assert first.next_action_at == NOW - HOUR and len(_actions(db_session, "case.leased")) == 1
    assert _actions(db_session, "case.lease_finished") == []

    finish_case(first, camille, lease, later)
    assert lease_next_case(camille, later).case is second
    assert first.leased_by_id is None and first.next_action_at == later + COME_BACK
    assert first.queue_score == 80  # rescored when finished
    finished = _actions(db_session, "case.lease_finished")
    assert [e.subject_id for e in finished] == [first.id]


def test_the_database_refuses_a_second_lease_for_one_collector(db_session, crew):
    camille = crew["camille"]
    held, other = queued_case(team=crew["a"], score=2), queued_case(team=crew["a"], score=1)
    assert lease_next_case(camille, NOW).case is held
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(sa.update(Case).where(Case.id == other.id).values(leased_by_id=camille.id))


def test_a_stale_finish_or_release_changes_nothing(db_session, crew):
    camille = crew["camille"]
    case = queued_case(team=crew["a"])
    lease_next_case(camille, NOW)
    lease = case.lease_token
    assert lease and len(lease) == 32
    for end in (finish_case, release_case):
        for wrong in ("", "0" * 32):
            with pytest.raises(StaleLease):
                end(case, camille, wrong, NOW + MINUTE)
    assert case.leased_by_id == camille.id and case.lease_token == lease and case.next_action_at == NOW - HOUR

    finish_case(case, camille, lease, NOW + MINUTE)
    events = len(db_session.scalars(sa.select(AuditEvent)).all())
    with pytest.raises(StaleLease, match="rien n.a été modifié|nothing was changed"):
        finish_case(case, camille, lease, NOW + 2 * MINUTE)  # the second click of a double click
    assert case.next_action_at == NOW + MINUTE + COME_BACK  # pushed back once, not twice

    # The case comes back and the collector takes it again: a form of the first lease ends nothing.
    lease_next_case(camille, NOW + COME_BACK + HOUR)
    assert case.leased_by_id == camille.id and case.lease_token not in (None, lease)
    with pytest.raises(StaleLease):
        finish_case(case, camille, lease, NOW + COME_BACK + HOUR)
    assert case.leased_by_id == camille.id
    assert len(db_session.scalars(sa.select(AuditEvent)).all()) == events + 1  # only the new lease


def test_a_lease_that_ran_out_is_let_go_before_the_next_one(db_session, crew):
    camille = crew["camille"]
    forgotten = queued_case(team=crew["a"], score=2)
    queued_case(team=crew["a"], score=1)
    assert lease_next_case(camille, NOW).case is forgotten
    later = NOW + LEASE + MINUTE
    found = lease_next_case(camille, later)
    assert not found.held and found.case is forgotten  # let go unfinished, still the best case due
    assert [e.subject_id for e in _actions(db_session, "case.lease_expired")] == [forgotten.id]
    assert _actions(db_session, "case.lease_finished") == []
    assert forgotten.lease_expires_at == later + LEASE


def test_finish_keeps_a_step_planned_meanwhile_and_refuses_someone_elses_case(db_session, crew):
    camille, paul = crew["camille"], crew["paul"]
    case = queued_case(team=crew["a"])
    lease_next_case(camille, NOW)
    with pytest.raises(QueueError, match="traite ce dossier|is working on this case"):
        finish_case(case, paul, case.lease_token, NOW)
    case.next_action_at = NOW + 72 * HOUR  # e.g. a callback booked during the call
    _finish(case, camille, NOW + MINUTE)
    assert case.leased_by_id is None and case.next_action_at == NOW + 72 * HOUR


def test_release_gives_the_case_back_as_it_was(db_session, crew):
    camille, paul = crew["camille"], crew["paul"]
    case = queued_case(team=crew["a"])
    lease_next_case(camille, NOW)
    with pytest.raises(QueueError):
        release_case(case, paul, case.lease_token, NOW)
    release_case(case, camille, case.lease_token, NOW + MINUTE)
    assert case.leased_by_id is None and case.next_action_at == NOW - HOUR
    assert lease_next_case(paul, NOW + 2 * MINUTE).case is case
    assert _actions(db_session, "case.lease_released")[0].actor_id == camille.id


def test_renewal_extends_only_the_holders_lease(db_session, crew):
    camille, paul = crew["camille"], crew["paul"]
    case = queued_case(team=crew["a"])
    lease_next_case(camille, NOW)
    assert renew_lease(case.id, paul, NOW + 10 * MINUTE) is None
    assert renew_lease(case.id, camille, NOW + 10 * MINUTE) == NOW + 10 * MINUTE + LEASE
    db_session.refresh(case)
    assert case.lease_expires_at == NOW + 10 * MINUTE + LEASE
    assert lease_next_case(paul, NOW + 20 * MINUTE).case is None  # the first lease would have run out


def test_expired_leases_are_freed_and_audited(db_session, crew):
    camille = crew["camille"]
    stale = queued_case(team=crew["a"], score=2)
    fresh = queued_case(team=crew["a"], score=1)
    lease_next_case(camille, NOW)
    lease_next_case(crew["paul"], NOW + 10 * MINUTE)
    assert expire_leases(NOW + LEASE + MINUTE) == 1
    db_session.refresh(stale)
    db_session.refresh(fresh)
    assert stale.leased_by_id is None and stale.lease_token is None and fresh.leased_by_id == crew["paul"].id
    event = _actions(db_session, "case.lease_expired")[0]
    assert event.subject_id == stale.id and event.before["leased_by_id"] == camille.id
    assert expire_queue_leases() >= 1  # at the real present, the other lease ran out long ago
    db_session.refresh(fresh)
    assert fresh.leased_by_id is None


def test_a_collector_without_team_gets_only_their_own_cases(db_session, crew):
    loner = factories.user("collector")
    queued_case(team=crew["a"], score=50)
    own = queued_case(collector=loner, score=1)
    assert lease_next_case(loner, NOW).case is own
    _finish(own, loner)
    assert lease_next_case(loner, NOW).case is None
    counts = queue_counts(loner, NOW)
    assert (counts.mine_due, counts.mine_planned, counts.pool_due) == (0, 1, 0)
