"""Closing a case: proposed by a collector, confirmed by a manager, the balance written off by a ledger
entry; reopening takes it back. The ledger always sums to the balance shown."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.audit import AuditEvent
from agency.db import db
from cases.closing.closing import (
    ClosingError,
    close_case,
    confirm_closing,
    propose_closing,
    reject_closing,
    reopen_case,
)
from cases.ledger import balance
from cases.models import CaseStatus, ClosingReason, LedgerEntry, Promise
from tests import factories


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def ledger_sum(case) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
                             .where(LedgerEntry.case_id == case.id))


def test_a_collectors_proposal_waits_for_a_manager_who_closes_it(db_session):
    case = factories.case(amounts=(50_000,))
    collector, manager = factories.user("collector"), factories.user("manager")
    closing = propose_closing(case, "unfindable", evidence="Recherches FICOBA et annuaire sans résultat",
                              actor=collector)
    assert closing.status == "proposed" and case.status != CaseStatus.CLOSED
    confirm_closing(closing, actor=manager)
    assert case.status == CaseStatus.CLOSED and case.closed_reason == "unfindable"
    assert closing.written_off_cents == 50_000  # a consumer's claim without a formal notice earns no interest
    assert balance(case.id).outstanding == 0 and ledger_sum(case) == 0
    assert case.next_action_at is None


def test_a_reason_without_its_evidence_or_an_automatic_one_is_refused_and_changes_nothing(db_session):
    case = factories.case()
    manager = factories.user("manager")
    with pytest.raises(ClosingError) as missing:
        propose_closing(case, "deceased_no_estate", evidence=" ", actor=manager)
    assert missing.value.field == "evidence"
    with pytest.raises(ClosingError) as automatic:
        propose_closing(case, "paid_in_full", evidence="", actor=manager)
    assert automatic.value.field == "reason"
    assert case.status != CaseStatus.CLOSED and ledger_sum(case) == balance(case.id).outstanding


def test_a_managers_proposal_closes_at_once_and_a_refusal_needs_a_note(db_session):
    case = factories.case()
    closing = propose_closing(case, "below_minimum", evidence="", actor=factories.user("manager"))
    assert closing.status == "closed" and case.status == CaseStatus.CLOSED
    other = factories.case()
    proposal = propose_closing(other, "below_minimum", evidence="", actor=factories.user("collector"))
    with pytest.raises(ClosingError):
        reject_closing(proposal, actor=factories.user("manager"), note="")
    reject_closing(proposal, actor=factories.user("manager"), note="Le débiteur a promis de payer")
    assert proposal.status == "rejected" and other.status != CaseStatus.CLOSED


def test_closing_cancels_promises_and_reopening_reverses_the_write_off(db_session):
    case = factories.case(amounts=(80_000,))
    case.status = "active"
    db.session.add(Promise(case=case, amount_cents=10_000, due_on=date(2026, 12, 20), status="pending"))
    manager = factories.user("manager")
    closing = close_case(case, "insolvent_no_assets", actor=manager, evidence="PV de carence du 2 décembre")
    promise = db.session.scalar(sa.select(Promise).where(Promise.case_id == case.id))
    assert promise.status == "cancelled" and promise.resolved_at is not None
    assert db.session.scalar(sa.select(AuditEvent.subject_id).where(AuditEvent.action == "promise.cancelled")) \
        == promise.id
    written_off = closing.written_off_cents
    with pytest.raises(ClosingError):
        reopen_case(case, reason="", actor=manager)
    reopen_case(case, reason="Nouvelle adresse trouvée", actor=manager)
    assert case.status == "active" and closing.status == "reopened" and case.next_action_at is not None
    assert balance(case.id).outstanding == written_off == ledger_sum(case)
    with pytest.raises(ClosingError):
        reopen_case(case, reason="encore", actor=manager)


def test_an_agencys_own_reason_can_be_used(db_session):
    db.session.add(ClosingReason(code="client_agreement", label="Accord commercial du client", evidence_required=True))
    case = factories.case()
    close_case(case, "client_agreement", actor=factories.user("manager"), evidence="Courriel du client du 3/12")
    assert case.closed_reason == "client_agreement"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["pay", "close", "reopen"]), min_size=1, max_size=8),
       st.integers(min_value=100, max_value=40_000))
def test_the_ledger_always_sums_to_the_balance_shown(db_session, steps, amount):
    case = factories.case(amounts=(60_000, 25_000))
    case.status = "active"
    manager = factories.user("manager")
    for step in steps:
        if step == "pay" and case.status not in ("closed", "paid"):
            factories.payment(case, amount, receipt=False, confirm_duplicate=True)
        elif step == "close" and case.status not in ("closed", "paid"):
            close_case(case, "unfindable", actor=manager, evidence="Recherches sans résultat")
        elif step == "reopen" and case.status == "closed":
            reopen_case(case, reason="Nouvel élément", actor=manager)
        shown = balance(case.id)
        assert ledger_sum(case) == shown.outstanding
        if case.status == "closed":
            assert shown.outstanding <= 0


def test_closing_ends_a_running_plan(db_session):
    from datetime import timedelta

    from agency.clock import today
    from money.models import PaymentPlan
    from money.plans.plans import propose_plan, split

    case = factories.case(amounts=(30_000,))
    plan = propose_plan(case, instalments=split(30_000, 3, today() + timedelta(days=3)), total_cents=30_000,
                        actor=None)
    assert plan.status == "active"
    close_case(case, "below_minimum", actor=factories.user("manager"))
    db.session.expire_all()
    assert db.session.get(PaymentPlan, plan.id).status == "cancelled"


def test_a_late_payment_on_a_closed_case_is_recorded_and_allocated_and_the_case_stays_closed(db_session):
    from money.models import Payment

    case = factories.case(amounts=(60_000,))
    closing = close_case(case, "unfindable", actor=factories.user("manager"), evidence="NPAI")
    assert closing.written_off_cents == 60_000
    payment = factories.payment(case, 25_000, receipt=False)
    assert db.session.get(Payment, payment.id).amount_cents == 25_000
    assert case.status == CaseStatus.CLOSED and balance(case.id).outstanding == 0 and ledger_sum(case) == 0
    allocated = db.session.scalars(sa.select(LedgerEntry.applies_to).where(LedgerEntry.payment_id == payment.id))
    assert set(allocated) == {"principal"}  # the debt paid again, not a credit held for the debtor
    reopen_case(case, reason="Le débiteur reprend ses paiements", actor=factories.user("manager"))
    assert balance(case.id).outstanding == 35_000  # what the write-off still covered, owed again
