"""The demo's money: interest up to today, remittance statements for the past months, and plans on a few cases."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

import sqlalchemy as sa

from agency.db import db
from agency.models import Client, User
from cases import ledger
from cases.interest.posting import post_interest
from cases.models import Case, CaseStatus
from debtors.models import Hold
from demo.data import CLIENTS
from money.models import PlanStatus
from money.plans.documents import store_agreement
from money.plans.plans import PlanError, propose_plan, split
from money.remittances.statements import mark_paid, run_remittances

PLANS = 4


def load_money(rng: Random, manager: User, collector: User, today: date) -> None:
    """Post interest up to today, issue the last two months' statements (the older one paid) and agree a few
    plans (no commit)."""
    _post_interest(today)
    this_month = today.replace(day=1)
    last_end = this_month - timedelta(days=1)
    older_end = last_end.replace(day=1) - timedelta(days=1)
    for statement in run_remittances(older_end, actor=manager):
        mark_paid(statement, paid_on=older_end + timedelta(days=6), reference=f"VIR-{statement.reference}",
                  actor=manager)  # fmt: skip
    run_remittances(last_end, actor=manager)
    _agree_plans(rng, collector, today)


def _post_interest(today: date) -> None:
    """Bring the demo cases' interest and €40 indemnities up to today, as the daily posting run does.

    Payments posted interest up to their own day on the cases they touched; the others would otherwise show
    none until the run, though their mandate claims it. Plans agreed afterwards include it in their balance.
    """
    demo_cases = sa.select(Case.id).join(Client, Client.id == Case.client_id).where(
        Client.code.in_([spec.code for spec in CLIENTS]))
    post_interest(today, list(db.session.scalars(demo_cases)))


def _agree_plans(rng: Random, collector: User, today: date) -> None:
    """Plans on a few active cases: most within the mandate, one settlement left to the client to approve."""
    held = sa.select(Hold.debtor_id).where(Hold.ended_at.is_(None))
    candidates = db.session.scalars(
        sa.select(Case).where(Case.status == CaseStatus.ACTIVE.value, Case.debtor_id.not_in(held)).order_by(Case.id)
    ).all()
    for number, case in enumerate(rng.sample(candidates, min(PLANS, len(candidates)))):
        outstanding = ledger.balance(case.id).outstanding
        # The last one is a settlement at 70 %: beyond what the mandate lets the agency grant alone.
        total = outstanding * 7 // 10 if number == PLANS - 1 else outstanding
        if total <= 0:
            continue
        try:
            plan = propose_plan(case, total_cents=total, actor=collector,
                                instalments=split(total, rng.randint(3, 6), today + timedelta(days=rng.randint(5, 20))))
        except PlanError:
            continue  # a case the rules keep out of plans (a dispute opened since, for instance)
        if plan.status == PlanStatus.ACTIVE:
            store_agreement(plan)
