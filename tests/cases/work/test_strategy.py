"""The default strategy: due steps created set-based, one stage per run, automatic steps carried out by jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.db import db, utcnow
from agency.jobs import enqueue
from agency.models import AuditEvent
from cases.models import Action, Case, Letter
from cases.work.disputes import open_dispute
from cases.work.jobs import advance_strategy_job, dispatch_strategy_actions, run_strategy_action
from cases.work.strategy import DEFAULT_STRATEGY, advance_strategy, run_step, stages
from debtors.holds import put_on_hold
from tests import factories
from tests.cases.work.conftest import TUESDAY_3AM, TUESDAY_11

DAY = timedelta(days=1)


@pytest.fixture
def make_case(db_session):
    def _make(days_ago: int = 0, **fields) -> Case:
        debtor = factories.debtor()
        factories.contact(debtor, "phone", "+33612345678", is_primary=True, sms_consent=True)
        factories.contact(debtor, "address", "", address_line1="12 rue des Lilas", postcode="69003", city="Lyon")
        row = factories.case(debtor_row=debtor, opened_on=TUESDAY_11.date() - timedelta(days=days_ago), **fields)
        db_session.flush()
        return row

    return _make


def steps_of(case: Case) -> list[tuple[int, str, str]]:
    rows = db.session.execute(sa.select(Action.strategy_step, Action.kind, Action.status)
                              .where(Action.case_id == case.id, Action.strategy_step.is_not(None))
                              .order_by(Action.strategy_step)).all()
    return [tuple(r) for r in rows]


def test_the_default_strategy_is_data_grouped_in_stages_by_day():
    assert [s.number for s in DEFAULT_STRATEGY] == list(range(1, 8))
    assert [(s.day, s.kind.value) for s in DEFAULT_STRATEGY] == [
        (0, "letter"), (5, "sms"), (15, "call"), (30, "letter"), (60, "call"), (60, "letter"), (75, "formal_notice")]
    assert [([s.number for s in st.steps], st.after, st.gap_days) for st in stages()] == [
        ([1], 0, 0), ([2], 1, 5), ([3], 2, 10), ([4], 3, 15), ([5, 6], 4, 30), ([7], 6, 15)]


def test_a_new_case_gets_its_first_notice_and_a_rerun_creates_nothing(make_case):
    case = make_case(0)
    counts = advance_strategy(TUESDAY_11)
    assert counts["cases"] == 1 and counts["by_step"][1] == 1
    db.session.expire_all()
    assert steps_of(case) == [(1, "letter", "scheduled")]
    assert (case.strategy_step, case.status, case.next_action_at) == (1, "active", None)
    assert advance_strategy(TUESDAY_11 + timedelta(hours=5))["actions"] == 0
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "strategy.advanced")
                                .order_by(AuditEvent.id)).all()
    assert [e.after["cases"] for e in events] == [1, 0]  # one event per run, with what it did


def test_each_stage_waits_its_gap_after_the_one_before(make_case):
    case = make_case(100)  # placed long ago: the steps keep their spacing, one stage per run
    advance_strategy(TUESDAY_11)
    assert case.strategy_step == 1 or db.session.refresh(case) or case.strategy_step == 1
    advance_strategy(TUESDAY_11 + 4 * DAY)
    db.session.refresh(case)
    assert case.strategy_step == 1
    advance_strategy(TUESDAY_11 + 5 * DAY - timedelta(hours=9))  # early in the morning of day 5
    db.session.refresh(case)
    assert case.strategy_step == 2
    advance_strategy(TUESDAY_11 + 15 * DAY)
    db.session.refresh(case)
    assert case.strategy_step == 3 and case.next_action_at == TUESDAY_11 + 15 * DAY  # a call: into the queue
    assert steps_of(case)[-1] == (3, "call", "scheduled")


def test_the_call_and_the_letter_of_day_60_come_together(make_case):
    case = make_case(200, )
    case.strategy_step, case.status = 4, "active"
    db.session.flush()
    counts = advance_strategy(TUESDAY_11)
    assert counts["by_step"][5] == 1 and counts["by_step"][6] == 1
    db.session.refresh(case)
    assert case.strategy_step == 6 and [s[:2] for s in steps_of(case)] == [(5, "call"), (6, "letter")]


def test_a_callback_date_is_kept_when_a_call_step_falls_due(make_case):
    case = make_case(20)
    later = TUESDAY_11 + 3 * DAY
    case.strategy_step, case.next_action_at, case.callback_at = 2, later, later
    db.session.flush()
    advance_strategy(TUESDAY_11)
    db.session.refresh(case)
    assert case.strategy_step == 3 and case.next_action_at == later


@pytest.mark.parametrize("status", ["promise", "plan", "dispute", "hold", "escalated", "paid", "closed"])
def test_cases_not_in_progress_do_not_advance(make_case, status):
    case = make_case(10, )
    case.status = status
    db.session.flush()
    assert advance_strategy(TUESDAY_11)["cases"] == 0
    assert steps_of(case) == []


def test_a_debtor_hold_stops_every_case_a_dispute_only_its_own(make_case):
    disputed, sibling = make_case(10), None
    sibling = factories.case(client_row=disputed.client, debtor_row=disputed.debtor,
                             opened_on=disputed.opened_on)
    open_dispute(disputed, actor=None, reason="Contestée")
    disputed.status = "active"  # even if its status said otherwise, the open hold stops it
    db.session.flush()
    advance_strategy(TUESDAY_11)
    db.session.refresh(disputed), db.session.refresh(sibling)
    assert (disputed.strategy_step, sibling.strategy_step) == (0, 1)
    other = make_case(10)
    put_on_hold(other.debtor, "deceased", actor=None, reason="Acte de décès")
    db.session.flush()
    advance_strategy(TUESDAY_11 + 6 * DAY)
    db.session.refresh(other)
    assert other.strategy_step == 0


def test_an_action_already_there_is_not_duplicated(make_case):
    case = make_case(0)
    db.session.add(Action(case=case, kind="letter", channel="post", status="scheduled", strategy_step=1))
    db.session.flush()
    advance_strategy(TUESDAY_11)
    db.session.refresh(case)
    assert case.strategy_step == 1 and len(steps_of(case)) == 1


def test_the_daily_job_issues_no_statement_per_case(make_case, app):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    for _ in range(3):
        make_case(0)
    engine = db.session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        advance_strategy(TUESDAY_11)
        few = len(statements)
        for _ in range(12):
            make_case(0)
        statements.clear()
        advance_strategy(TUESDAY_11 + DAY)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few  # as many statements for 12 cases as for 3


# --- carrying out the automatic steps ----------------------------------------------------------


def planned(case: Case, step: int) -> Action:
    return db.session.scalar(sa.select(Action).where(Action.case_id == case.id, Action.strategy_step == step))


def test_the_sms_step_waits_for_the_opening_hours(make_case):
    case = make_case(10)
    case.strategy_step, case.status = 1, "active"
    db.session.flush()
    advance_strategy(TUESDAY_3AM)
    action = planned(case, 2)
    assert run_step(action, now=TUESDAY_3AM) == "deferred"
    assert action.status == "scheduled" and action.scheduled_at == TUESDAY_11 - timedelta(hours=1)
    assert action.sms_message_id is None


def test_the_sms_step_is_sent_once(make_case, open_hours):
    case = make_case(10)
    case.strategy_step, case.status = 1, "active"
    db.session.flush()
    now = utcnow()
    advance_strategy(now)
    action = planned(case, 2)
    assert run_step(action, now=now) == "done"
    assert action.status == "done" and action.sms_message_id is not None
    assert run_step(action, now=now) == "skipped"
    assert db.session.scalar(sa.select(sa.func.count(Action.id)).where(Action.case_id == case.id,
                                                                       Action.kind == "sms")) == 1


def test_a_step_of_a_case_disputed_meanwhile_is_cancelled(make_case):
    case = make_case(10)
    case.strategy_step, case.status = 1, "active"
    db.session.flush()
    advance_strategy(TUESDAY_11)
    open_dispute(case, actor=None, reason="Contestée")
    action = planned(case, 2)
    assert run_step(action, now=TUESDAY_11) == "cancelled"
    assert (action.status, action.reason) == ("cancelled", "case_dispute")


def test_the_first_notice_step_issues_the_letter(make_case, agency_ready, run_jobs):
    case = make_case(0)
    advance_strategy(TUESDAY_11)
    action_id = planned(case, 1).id
    enqueue(run_strategy_action, action_id, job_id=f"strategy-action-{action_id}")
    run_jobs()
    action = planned(case, 1)
    letter = db.session.get(Letter, action.letter_id)
    assert (action.status, letter.kind, letter.status) == ("done", "first_notice", "issued")
    assert run_step(action, now=TUESDAY_11) == "skipped"
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == 1


def test_a_letter_without_an_address_is_blocked(db_session, agency_ready):
    case = factories.case(opened_on=TUESDAY_11.date())
    advance_strategy(TUESDAY_11)
    action = planned(case, 1)
    assert run_step(action, now=TUESDAY_11) == "blocked"
    assert (action.status, action.reason) == ("blocked", "no_contact_point")


def test_dispatch_hands_each_due_action_to_a_job(make_case, agency_ready, open_hours, run_jobs):
    cases = [make_case(1) for _ in range(2)]  # placed yesterday
    advance_strategy(utcnow())
    assert dispatch_strategy_actions() == 2
    run_jobs()
    assert all(planned(c, 1).status == "done" for c in cases)
    assert dispatch_strategy_actions() == 0


def test_the_daily_job_advances_and_dispatches(make_case, agency_ready, open_hours, run_jobs):
    case = make_case(1)
    enqueue(advance_strategy_job)
    run_jobs()
    db.session.expire_all()
    action = planned(case, 1)
    assert db.session.get(Case, case.id).strategy_step == 1
    if action.status == "scheduled":  # real mode: the dispatched job waits in Redis
        run_jobs()
        db.session.expire_all()
        action = planned(case, 1)
    assert action.status == "done" and action.letter_id is not None


def test_a_letter_the_letters_refuse_closes_the_step_as_failed_with_the_reason(make_case, agency_ready):
    case = make_case(0)
    case.client.address_line1 = ""  # every letter must print the creditor's address
    advance_strategy(TUESDAY_11)
    action = planned(case, 1)
    assert run_step(action, now=TUESDAY_11) == "failed"
    action = planned(case, 1)
    assert (action.status, action.reason) == ("failed", "letter_refused") and action.note  # the letters' reason
    assert db.session.scalar(sa.select(sa.func.count(Letter.id)).where(Letter.case_id == case.id)) == 0
