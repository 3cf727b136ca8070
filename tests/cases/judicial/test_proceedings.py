"""Proposing a route and both approvals: nothing judicial starts without a manager's and the client's yes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from cases.judicial.proceedings import (
    JudicialError,
    approve_by_manager,
    decide_by_client,
    propose,
    why_not_propose,
    withdraw,
)
from cases.models import CaseStatus, Promise, Route, Stage
from tests import factories
from tests.cases.judicial.helpers import TODAY, ready_case


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def test_a_route_is_proposed_only_after_the_formal_notice_deadline(db_session):
    case = ready_case(pay_by=TODAY)
    assert "pas encore passé" in str(why_not_propose(case, TODAY))
    with pytest.raises(JudicialError):
        propose(case, actor=None)
    assert why_not_propose(case, TODAY.replace(day=8)) is None


def test_no_route_without_a_mandate_allowing_it_a_notice_or_with_a_promise(db_session):
    assert "mandat du client" in str(why_not_propose(ready_case(judicial_allowed=False), TODAY))
    case = ready_case()
    db.session.add(Promise(case=case, amount_cents=1000, due_on=TODAY, status="pending"))
    db.session.flush()
    assert "promesse de paiement" in str(why_not_propose(case, TODAY))
    bare = factories.case()
    bare.client.mandates[0].judicial_allowed = True
    assert "Aucune mise en demeure" in str(why_not_propose(bare, TODAY))


def test_a_payment_after_the_notice_gives_the_amicable_stage_its_chance(db_session):
    case = ready_case()
    factories.payment(case, 5_000, received_on=TODAY.replace(day=1), receipt=False)
    assert "payé après la mise en demeure" in str(why_not_propose(case, TODAY))


def test_both_approvals_take_the_case_out_of_the_amicable_queue(db_session):
    case = ready_case(kind="b2b", debtor_kind="company", amounts=(900_000,))
    collector, manager = factories.user("collector"), factories.user("manager")
    client_user = factories.user("client", client=case.client)
    proceeding = propose(case, actor=collector)
    assert proceeding.route == proceeding.suggested_route == Route.ORDER_COMMERCIAL
    assert proceeding.form == "Cerfa 12946*02" and proceeding.claimed_cents == 900_000
    assert proceeding.reference.startswith("JUD-26-")
    assert case.status != CaseStatus.ESCALATED  # the manager's yes alone starts nothing

    approve_by_manager(proceeding, actor=manager)
    assert proceeding.stage == Stage.AWAITING_CLIENT and case.status != CaseStatus.ESCALATED
    decide_by_client(proceeding, actor=client_user, approve=True)
    assert proceeding.stage == Stage.PREPARING
    assert case.status == CaseStatus.ESCALATED and case.next_action_at is None
    assert [s.kind for s in proceeding.steps] == ["proposed", "manager_approved", "client_approved"]
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("judicial.%"))))
    assert {"judicial.proposed", "judicial.manager_approved", "judicial.client_approved"} <= actions


def test_the_client_cannot_decide_before_the_manager_and_a_refusal_needs_a_reason(db_session):
    case = ready_case()
    client_user = factories.user("client", client=case.client)
    proceeding = propose(case, actor=None)
    with pytest.raises(JudicialError, match="n'attend plus"):
        decide_by_client(proceeding, actor=client_user, approve=True)
    approve_by_manager(proceeding, actor=factories.user("manager"))
    with pytest.raises(JudicialError) as refused:
        decide_by_client(proceeding, actor=client_user, approve=False)
    assert refused.value.field == "reason"
    decide_by_client(proceeding, actor=client_user, approve=False, reason="Client de longue date, on attend.")
    assert proceeding.stage == Stage.REFUSED and proceeding.steps[-1].note == "Client de longue date, on attend."
    assert case.status != CaseStatus.ESCALATED and case.next_action_at is not None  # back in the queue
    assert why_not_propose(case, TODAY) is None  # a new proposal may come later


def test_another_route_than_the_suggested_one_needs_a_reason(db_session):
    case = ready_case(amounts=(300_000,))
    with pytest.raises(JudicialError) as missing:
        propose(case, actor=None, route=Route.ORDER_JUDICIAL)
    assert missing.value.field == "reason"
    proceeding = propose(case, actor=None)
    assert proceeding.route == Route.SMALL_CLAIMS
    approve_by_manager(proceeding, actor=factories.user("manager"), route=Route.ORDER_JUDICIAL,
                       reason="Débiteur de mauvaise foi : l'accord amiable est exclu.")
    assert proceeding.route == Route.ORDER_JUDICIAL and proceeding.form == "Cerfa 12948*06"
    assert proceeding.suggested_route == Route.SMALL_CLAIMS


def test_a_withdrawal_before_filing_gives_the_case_its_status_back(db_session):
    case = ready_case()
    status = case.status
    proceeding = propose(case, actor=None)
    approve_by_manager(proceeding, actor=(manager := factories.user("manager")))
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    withdraw(proceeding, actor=manager, reason="Le débiteur a appelé pour payer.")
    assert proceeding.stage == Stage.WITHDRAWN and case.status == status
