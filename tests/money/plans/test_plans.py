"""Payment plans and settlements: the schedule, the mandate's limits, and the marking of instalments from the ledger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db, utcnow
from agency.models import AuditEvent
from cases.ledger import balance, post_entry
from cases.models import Action, EntryKind, LedgerEntry, Promise
from cases.queue.queue import BROKEN_PROMISE, explain_score, refresh_scores
from cases.work.promises import Instalment, record_promises
from debtors.models import Hold
from money.plans.jobs import mark_plans_job
from money.plans.marking import paid_towards, refresh_plan, refresh_plans
from money.plans.plans import PlanError, add_months, cancel_plan, propose_plan, split
from tests import factories


@pytest.fixture
def case(db_session):
    """A consumer case owing €1,000.00 for a client whose mandate allows a 10 % discount over 6 months."""
    client = factories.client()
    client.mandates[0].max_discount_bp, client.mandates[0].max_plan_months = 1_000, 6
    row = factories.case(client, amounts=(100_000,))
    db_session.flush()
    return row


def pay(case, cents: int, on: date, reverse: bool = False) -> LedgerEntry:
    entry = post_entry(case, EntryKind.PAYMENT, -cents, on, description="Virement")
    db.session.flush()
    if reverse:
        post_entry(case, EntryKind.REVERSAL, cents, on, description="Rejet").reverses_id = entry.id
        db.session.flush()
    return entry


def monthly(total: int, count: int, first: date | None = None) -> list[tuple[date, int]]:
    return split(total, count, first or today() + timedelta(days=7))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- the schedule -------------------------------------------------------------------------------------


def test_split_gives_equal_instalments_the_last_taking_the_remainder():
    assert split(100_000, 3, date(2027, 1, 31)) == [
        (date(2027, 1, 31), 33_333), (date(2027, 2, 28), 33_333), (date(2027, 3, 31), 33_334)]
    assert split(1_000, 2, date(2027, 1, 5), every="week") == [(date(2027, 1, 5), 500), (date(2027, 1, 12), 500)]
    assert sum(cents for _day, cents in split(99_999, 7, date(2027, 1, 1))) == 99_999
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29) and add_months(date(2027, 11, 15), 3) == date(
        2028, 2, 15)


def test_split_refuses_what_cannot_be_split(app):
    with pytest.raises(PlanError) as refused:
        split(2, 3, date(2027, 1, 1))
    assert refused.value.field == "total" and "trop faible pour être réparti en 3 échéances" in str(refused.value)
    with pytest.raises(PlanError) as refused:
        split(1_000, 0, date(2027, 1, 1))
    assert refused.value.field == "count"


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "total", "field", "message"),
    [
        ([], 100_000, "instalments-0-amount", "Indiquez au moins une échéance"),
        ([(7, 0), (14, 100_000)], 100_000, "instalments-0-amount", "Échéance 1 : le montant doit être positif"),
        ([(-1, 100_000)], 100_000, "instalments-0-due_on", "Échéance 1 : la date est passée"),
        ([(14, 50_000), (7, 50_000)], 100_000, "instalments-1-due_on",
         "Échéance 2 : sa date doit suivre celle de la précédente"),
        ([(7, 50_000), (14, 40_000)], 100_000, "total", "Les échéances totalisent 900,00"),
        ([(7, 50_000), (14, 50_001)], 100_001, "total", "Total : plus que le solde restant dû"),
    ],
)
def test_a_wrong_schedule_is_refused_naming_the_field(case, schedule, total, field, message):
    instalments = [(today() + timedelta(days=days), cents) for days, cents in schedule]
    with pytest.raises(PlanError) as refused:
        propose_plan(case, instalments=instalments, total_cents=total, actor=None)
    assert refused.value.field == field
    assert message in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("payment_plan"))) == 0


def test_no_plan_on_a_disputed_case_a_debtor_on_hold_or_beside_a_running_plan(case):
    case.status = "dispute"
    with pytest.raises(PlanError, match="litige|contesté"):
        propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)
    case.status = "active"
    hold = Hold(debtor=case.debtor, kind="deceased", reason="Acte de décès reçu")
    db.session.add(hold)
    db.session.flush()
    db.session.expire(case.debtor)
    with pytest.raises(PlanError, match="suspension"):
        propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)
    hold.ended_at = utcnow()
    db.session.flush()
    db.session.expire(case.debtor)
    plan = propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)
    with pytest.raises(PlanError, match=f"{plan.reference} est déjà en cours"):
        propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)


# --- plans and settlements, within and beyond the mandate --------------------------------------------------


def test_a_plan_within_the_mandate_runs_at_once_and_replaces_the_promises(case):
    record_promises(case, [Instalment(20_000, today() + timedelta(days=3))], actor=None)
    user = factories.user("collector")
    plan = propose_plan(case, instalments=monthly(100_000, 4), total_cents=100_000, grace_days=3, actor=user)
    assert (plan.status, plan.is_settlement, plan.balance_cents, plan.starts_on) == ("active", False, 100_000, today())
    assert plan.reference == f"{case.reference}-P1" and [i.amount_cents for i in plan.instalments] == [25_000] * 4
    assert case.status == "plan" and case.next_action_at is None
    assert [p.status for p in db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id))] == [
        "cancelled"]
    proposed = events("plan.proposed")[0]
    assert proposed.actor_id == user.id and proposed.after["total_cents"] == 100_000
    assert events("case.plan_started")[0].after["status"] == "plan"


def test_a_settlement_within_the_allowed_discount_runs_at_once(case):
    plan = propose_plan(case, instalments=monthly(90_000, 3), total_cents=90_000, actor=None)
    assert plan.is_settlement and plan.status == "active"


@pytest.mark.parametrize(
    ("total", "count", "why"),
    [(89_999, 3, "discount above 10 %"), (100_000, 8, "last instalment more than 6 months after the first")],
)
def test_beyond_the_mandate_the_plan_waits_for_the_client(case, total, count, why):
    plan = propose_plan(case, instalments=monthly(total, count), total_cents=total, actor=None)
    assert plan.status == "awaiting_client", why
    assert case.status != "plan"


def test_six_months_after_the_first_instalment_is_still_within_the_mandate(case):
    plan = propose_plan(case, instalments=monthly(100_000, 7), total_cents=100_000, actor=None)
    assert plan.status == "active"


def test_cancelling_needs_a_reason_and_puts_the_case_back_to_work(case):
    plan = propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)
    user = factories.user("manager")
    with pytest.raises(PlanError, match="Motif"):
        cancel_plan(plan, actor=user, reason="  ")
    cancel_plan(plan, actor=user, reason="Le débiteur a changé d'avis")
    assert (plan.status, plan.ended_on, case.status) == ("cancelled", today(), "active")
    assert case.next_action_at is not None
    assert events("plan.cancelled")[0].after["reason"] == "Le débiteur a changé d'avis"
    note = db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "note")).one()
    assert "Le débiteur a changé d'avis" in note.note


# --- marking ------------------------------------------------------------------------------------------------


def test_payments_count_from_the_agreement_net_of_their_reversals(case):
    before = pay(case, 5_000, today())  # before the plan: deducted from its total, not towards it
    plan = propose_plan(case, instalments=monthly(95_000, 4), total_cents=95_000, actor=None)
    pay(case, 30_000, today())
    pay(case, 10_000, today(), reverse=True)  # bounced
    pay(case, 2_000, today() - timedelta(days=3))  # received earlier, recorded after: the total did not deduct it
    assert paid_towards([plan.id]) == {plan.id: 32_000}
    bounced = post_entry(case, EntryKind.REVERSAL, 5_000, today(), description="Rejet")
    bounced.reverses_id = before.id
    db.session.flush()
    assert paid_towards([plan.id]) == {plan.id: 32_000}


def test_instalments_are_marked_paid_pending_late_then_missed(case):
    first = today() + timedelta(days=7)
    plan = propose_plan(case, instalments=monthly(100_000, 4, first), total_cents=100_000, grace_days=5, actor=None)
    pay(case, 30_000, today())
    assert refresh_plan(plan.id, first) == "active"
    assert [(i.status, i.paid_cents) for i in plan.instalments] == [
        ("paid", 25_000), ("pending", 5_000), ("pending", 0), ("pending", 0)]
    second = plan.instalments[1].due_on
    assert refresh_plan(plan.id, second + timedelta(days=5)) == "active"
    assert plan.instalments[1].status == "late" and plan.instalments[1].marked_on == second + timedelta(days=5)
    pay(case, 20_000, second + timedelta(days=2))  # late, but within the grace days
    assert refresh_plan(plan.id, second + timedelta(days=6)) == "active"
    assert [i.status for i in plan.instalments] == ["paid", "paid", "pending", "pending"]


def test_a_missed_instalment_breaks_the_plan_and_puts_the_case_at_the_top_of_the_queue(case):
    first = today() + timedelta(days=7)
    plan = propose_plan(case, instalments=monthly(100_000, 4, first), total_cents=100_000, grace_days=2, actor=None)
    pay(case, 25_000, today())
    pay(case, 10_000, today(), reverse=True)
    second = plan.instalments[1].due_on
    assert refresh_plan(plan.id, second + timedelta(days=3)) == "broken"
    assert [i.status for i in plan.instalments] == ["paid", "missed", "pending", "pending"]
    assert (plan.ended_on, case.status) == (second + timedelta(days=3), "active")
    assert case.next_action_at is not None
    broken = events("plan.broken")[0]
    assert broken.after["instalment"] == 2 and broken.after["paid_cents"] == 0
    assert events("case.plan_ended")[0].after["status"] == "active"
    note = db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.kind == "note")).one()
    assert plan.reference in note.note and "2" in note.note
    # A broken plan is not marked again.
    assert refresh_plans(None, second + timedelta(days=30)) == {}


def test_a_completed_plan_marks_the_case_paid(case):
    plan = propose_plan(case, instalments=monthly(100_000, 2), total_cents=100_000, actor=None)
    pay(case, 100_000, today())
    assert refresh_plan(plan.id) == "completed"
    assert (case.status, case.closed_on, balance(case.id).outstanding) == ("paid", today(), 0)
    assert not db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "write_off")).all()


def test_a_completed_settlement_writes_off_the_rest_and_the_case_is_paid(case):
    plan = propose_plan(case, instalments=monthly(90_000, 3), total_cents=90_000, actor=None)
    for instalment in plan.instalments:
        pay(case, instalment.amount_cents, instalment.due_on)
        refresh_plan(plan.id, instalment.due_on)
    assert plan.status == "completed" and case.status == "paid"
    write_off = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id,
                                                                LedgerEntry.kind == "write_off")).one()
    assert write_off.amount_cents == -10_000 and plan.reference in write_off.description
    assert balance(case.id).outstanding == 0
    audited = events("ledger.write_off")[0]
    assert audited.after["amount_cents"] == -10_000 and audited.after["plan_id"] == plan.id


def test_a_settlement_not_fully_paid_writes_nothing_off(case):
    plan = propose_plan(case, instalments=monthly(90_000, 3), total_cents=90_000, grace_days=0, actor=None)
    pay(case, 60_000, today())
    last = plan.instalments[-1].due_on
    assert refresh_plan(plan.id, last + timedelta(days=1)) == "broken"
    assert balance(case.id).outstanding == 40_000
    assert not db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "write_off")).all()


def test_the_daily_job_marks_every_active_plan(case):
    other = factories.case(case.client, amounts=(50_000,))
    kept = propose_plan(case, instalments=monthly(100_000, 1, today()), total_cents=100_000, actor=None)
    missed = propose_plan(other, instalments=monthly(50_000, 1, today()), total_cents=50_000, grace_days=0,
                          actor=None)
    pay(case, 100_000, today())
    # The job runs on the agency's today: move the other plan's only instalment to yesterday.
    missed.instalments[0].due_on = today() - timedelta(days=1)
    db.session.flush()
    assert mark_plans_job() == {"completed": 1, "broken": 1}
    assert (kept.status, missed.status) == ("completed", "broken")
    assert (case.status, other.status) == ("paid", "active")


def test_a_broken_plan_weighs_as_a_broken_promise_until_the_debtor_is_called(case):
    plan = propose_plan(case, instalments=monthly(100_000, 2, today()), total_cents=100_000, grace_days=0,
                        actor=None)
    plan.instalments[0].due_on = today() - timedelta(days=1)
    db.session.flush()
    now = utcnow()
    refresh_scores(now, [case.id])
    db.session.expire(case, ["queue_score"])
    before = case.queue_score
    assert refresh_plan(plan.id) == "broken"
    assert case.queue_score == before + BROKEN_PROMISE
    assert ("Échéancier rompu, sans appel depuis", BROKEN_PROMISE) in explain_score(case, now)
    db.session.add(Action(case=case, kind="call", channel="phone", status="done", done_at=utcnow()))
    db.session.flush()
    refresh_scores(utcnow(), [case.id])
    db.session.expire(case, ["queue_score"])
    assert case.queue_score == before
    assert not [part for part in explain_score(case, now) if part[1] == BROKEN_PROMISE]
