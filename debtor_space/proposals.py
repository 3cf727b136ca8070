"""A debtor proposes a plan or a settlement from their space, through `money.plans` as staff do.

- The schedule is the debtor's: how many monthly instalments, when the first falls and, if they wish, how much
  it is (the rest split evenly, the last taking the remainder), for the whole balance or for an amount offered
  to settle. `propose_plan` judges it against the mandate with the same `within_limits` as staff's plans.
- Within the limits the plan runs at once and its agreement letter is prepared by the staff's job; the page
  then shows how to pay the first instalment.
- Beyond them it waits for the agency (`awaiting_agency`): a note in the case's history and the case due in
  the queue now, so that a collector declines it or sends it to the client (`money.plans.plans.forward_plan`).
- The debtor reads the answer on their page (`latest_answer`): accepted, or declined with the reason given.
- A second submission (a double click, a reloaded page, another tab) finds the plan already proposed and
  creates nothing: `propose_plan` refuses a second running plan under the case's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.jobs import enqueue
from cases.actions import record_action
from cases.models import ActionChannel, ActionKind, Case
from money.models import PaymentPlan, PlanStatus
from money.plans.jobs import agreement_job
from money.plans.plans import PlanError, add_months, propose_plan, running_plan, split

DEBTOR = "debtor"  # the actor label of what a debtor does in their space
LONGEST_FIRST_DELAY_DAYS = 31  # a plan starts soon: its first payment within a month


@dataclass(frozen=True)
class Proposal:
    """What the debtor asks for: `total_cents` (the balance, or less for a settlement) in `count` monthly
    payments from `first_due`, the first of `first_cents` when given."""

    total_cents: int
    count: int
    first_due: date
    first_cents: int | None = None


def schedule_of(proposal: Proposal) -> list[tuple[date, int]]:
    """Return the instalments of a proposal, or raise PlanError naming the field at fault."""
    first = proposal.first_cents
    if (proposal.first_due - today()).days > LONGEST_FIRST_DELAY_DAYS:
        raise PlanError(_("The first payment must fall within %(n)d days.", n=LONGEST_FIRST_DELAY_DAYS),
                        "instalments-0-due_on")
    if first is None or proposal.count == 1:
        if first is not None and first != proposal.total_cents:
            raise PlanError(_("In one payment, the first payment is the whole amount."), "instalments-0-amount")
        return split(proposal.total_cents, proposal.count, proposal.first_due)
    if first >= proposal.total_cents:
        raise PlanError(_("The first payment must leave something for the other instalments."),
                        "instalments-0-amount")
    rest = split(proposal.total_cents - first, proposal.count - 1, add_months(proposal.first_due, 1))
    return [(proposal.first_due, first), *rest]


def propose(case: Case, proposal: Proposal) -> tuple[PaymentPlan, bool]:
    """Propose the debtor's plan; return it and whether it was created now (False: one was already proposed)."""
    existing = running_plan(case)
    if existing is not None:
        return existing, False
    plan = propose_plan(case, instalments=schedule_of(proposal), total_cents=proposal.total_cents, actor=None,
                        origin=DEBTOR)
    if plan.status == PlanStatus.ACTIVE:
        # The agreement letter, as for staff's plans: its job is written with the plan.
        enqueue(agreement_job, plan.id, job_id=f"plan-agreement-{plan.id}")
    else:
        to_the_collector(case, _("The debtor proposed plan %(reference)s from their space, beyond the mandate's "
                                 "limits: decline it or send it to the client.", reference=plan.reference))
    return plan, True


def to_the_collector(case: Case, note: str, *, due: bool = True):
    """Note what the debtor did in the case's history (inbound, from the portal) and, if `due`, put the case
    at the top of the queue now; return the action."""
    action = record_action(case, ActionKind.NOTE.value, ActionChannel.PORTAL.value, actor=None, actor_label=DEBTOR,
                           direction="inbound", note=note)
    if due:
        before, after = audit.changes(case, next_action_at=utcnow())
        audit.record("case.next_action", actor=None, actor_label=DEBTOR, subject=case, before=before, after=after)
    return action


def latest_answer(case: Case) -> PaymentPlan | None:
    """Return the debtor's latest proposal once decided (accepted by the client, or refused), if it is the
    case's latest plan: what the debtor is told on their page."""
    plan = db.session.scalar(
        sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id).order_by(PaymentPlan.id.desc()).limit(1)
    )
    if plan is None or plan.origin != DEBTOR or plan.decided_at is None:
        return None
    return plan


def first_unpaid(plan: PaymentPlan):
    """Return the plan's first instalment not paid yet, or None."""
    return next((i for i in plan.instalments if i.paid_cents < i.amount_cents), None)
