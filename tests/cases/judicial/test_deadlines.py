"""The legal deadlines on their boundaries: 6 months to serve an order issued before 1 September 2026, 3 from
that day; enforceable two months after service without opposition; costs reach the debtor only under an
enforceable title; a change of the figures never moves a deadline already recorded."""

from __future__ import annotations

from datetime import date

import pytest

from cases.judicial import deadlines, settings
from cases.judicial.costs import record_cost
from cases.judicial.proceedings import JudicialError, approve_by_manager, decide_by_client, propose
from cases.judicial.steps import TitleValues, record_step
from cases.ledger import balance
from cases.models import Stage, StepKind
from tests import factories
from tests.cases.judicial.helpers import ready_case, started


@pytest.mark.parametrize(("issued", "serve_by"), [
    (date(2026, 8, 31), date(2027, 2, 28)),  # the last order under the old rule: 6 months (end of February)
    (date(2026, 9, 1), date(2026, 12, 1)),  # the first under décret 2026-96: 3 months
    (date(2026, 11, 30), date(2027, 2, 28)),
    (date(2028, 1, 31), date(2028, 4, 30)),
])
def test_the_service_deadline_follows_the_figure_in_force_on_the_orders_day(db_session, issued, serve_by):
    assert deadlines.serve_by(issued) == serve_by


def test_month_arithmetic_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert deadlines.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert deadlines.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert deadlines.add_months(date(2026, 12, 15), 2) == date(2027, 2, 15)


ORDER = TitleValues(court="Tribunal de commerce de Lyon", number="2026/77", principal_cents=900_000,
                    interest_cents=12_000, interest_from=date(2026, 5, 16), article_700_cents=50_000,
                    costs_cents=3_347)


def test_an_order_served_on_its_last_day_counts_the_day_after_is_void(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-08-31 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 8, 31), actor=None, title=ORDER)
    assert proceeding.next_deadline_kind == "serve_by" and proceeding.next_deadline_on == date(2027, 2, 28)
    time_machine.move_to("2027-03-01 10:00:00+01:00", tick=False)
    with pytest.raises(JudicialError, match="non avenue"):
        record_step(proceeding, StepKind.SERVED, date(2027, 3, 1), actor=None)
    with pytest.raises(JudicialError, match="encore être signifiée"):
        record_step(proceeding, StepKind.LAPSED, date(2027, 2, 28), actor=None)
    record_step(proceeding, StepKind.SERVED, date(2027, 2, 28), actor=None)
    assert proceeding.stage == Stage.SERVED


def test_enforceable_two_months_after_service_not_a_day_earlier_then_costs_reach_the_debtor(db_session, time_machine):
    case, proceeding = started(time_machine)
    record_cost(proceeding, kind="commercial_court_fee", amount_cents=3_347, incurred_on=date(2026, 6, 2), actor=None)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None, title=ORDER)
    record_step(proceeding, StepKind.SERVED, date(2026, 9, 10), actor=None)
    assert [d.kind for d in deadlines.deadlines_of(proceeding)] == ["opposition_until", "enforceable_from"]
    assert deadlines.deadlines_of(proceeding)[1].on == date(2026, 11, 10)
    assert balance(case.id).costs == 0  # the fee is the client's until the title is enforceable
    time_machine.move_to("2026-11-20 10:00:00+01:00", tick=False)
    with pytest.raises(JudicialError, match="exécutoire le"):
        record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 11, 9), actor=None)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 11, 10), actor=None)
    title = proceeding.title
    assert title.enforceable_on == date(2026, 11, 10) and title.expires_on == date(2036, 11, 10)
    assert balance(case.id).costs == 3_347 + 50_000  # the costs and the article 700 the title awards
    assert all(cost.ledger_entry_id for cost in proceeding.costs)
    # An enforcement fee after the title goes on the ledger at once (L111-8).
    record_cost(proceeding, kind="enforcement", amount_cents=12_000, incurred_on=date(2026, 11, 20), actor=None)
    assert balance(case.id).costs == 3_347 + 50_000 + 12_000


def test_a_later_change_of_the_figures_never_moves_a_recorded_deadline(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None, title=ORDER)
    assert proceeding.steps[-1].deadline_on == date(2026, 12, 10)
    settings.add_value("order_service_months", "2", date(2026, 9, 2), source="test", actor=factories.user("admin"))
    assert deadlines.serve_by(date(2026, 9, 10)) == date(2026, 11, 10)  # a new order would get 2 months
    deadlines.refresh(proceeding, date(2026, 9, 10))
    assert proceeding.next_deadline_on == date(2026, 12, 10)  # the step's stored deadline stands


def test_small_claims_the_debtors_month_to_answer(db_session, time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    case = ready_case(amounts=(300_000,))
    proceeding = propose(case, actor=None)
    approve_by_manager(proceeding, actor=factories.user("manager"))
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    with pytest.raises(JudicialError):
        record_step(proceeding, StepKind.FILED, date(2026, 12, 7), actor=None)  # not a small claims step
    record_step(proceeding, StepKind.INVITATION_SENT, date(2026, 12, 7), actor=None)
    assert proceeding.next_deadline_kind == "answer_by" and proceeding.next_deadline_on == date(2027, 1, 7)
    time_machine.move_to("2027-01-04 10:00:00+01:00", tick=False)
    record_step(proceeding, StepKind.DEBTOR_ACCEPTED, date(2027, 1, 4), actor=None)
    title = TitleValues(principal_cents=300_000)
    record_step(proceeding, StepKind.TITLE_ISSUED, date(2027, 1, 4), actor=None, title=title)
    assert proceeding.stage == Stage.ENFORCEABLE and proceeding.title.kind == "small_claims_agreement"
    assert proceeding.title.enforceable_on == date(2027, 1, 4)


def test_the_principal_awarded_cannot_exceed_the_principal_claimed(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    too_much = TitleValues(principal_cents=900_001)
    with pytest.raises(JudicialError, match="principal"):
        record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None, title=too_much)
    assert settings.number("order_service_months", date(2026, 9, 10)) == 3


def test_a_payment_under_the_title_moves_the_proceeding_partly_then_fully_paid(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None,
                title=TitleValues(principal_cents=900_000))
    record_step(proceeding, StepKind.SERVED, date(2026, 9, 10), actor=None)
    time_machine.move_to("2026-11-20 10:00:00+01:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 11, 10), actor=None)
    factories.payment(case, 100_000, received_on=date(2026, 11, 20), receipt=False)
    assert proceeding.stage == Stage.PARTLY_PAID and case.status == "escalated"
    factories.payment(case, balance(case.id).outstanding, received_on=date(2026, 11, 20), receipt=False)
    assert proceeding.stage == Stage.PAID and case.status == "paid"
    assert [s.kind for s in proceeding.steps][-2:] == ["partly_paid", "paid"]


def test_an_enforcement_act_starts_the_titles_ten_years_again(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None,
                title=TitleValues(principal_cents=900_000))
    record_step(proceeding, StepKind.SERVED, date(2026, 9, 10), actor=None)
    time_machine.move_to("2027-02-01 10:00:00+01:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 11, 10), actor=None)
    record_step(proceeding, StepKind.ENFORCEMENT, date(2026, 12, 1), actor=None)
    assert proceeding.title.expires_on == date(2036, 11, 10)
    record_step(proceeding, StepKind.ENFORCEMENT_ACT, date(2027, 1, 25), actor=None, note="Saisie-attribution")
    assert proceeding.title.expires_on == date(2037, 1, 25)
    assert proceeding.next_deadline_kind == "title_expires" and proceeding.next_deadline_on == date(2037, 1, 25)


def test_a_refused_title_records_no_step(db_session, time_machine):
    case, proceeding = started(time_machine)
    time_machine.move_to("2026-09-10 10:00:00+02:00", tick=False)
    steps = len(proceeding.steps)
    with pytest.raises(JudicialError):
        record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 9, 10), actor=None,
                    title=TitleValues(principal_cents=900_001))
    assert len(proceeding.steps) == steps and proceeding.stage == Stage.FILED and proceeding.title is None
