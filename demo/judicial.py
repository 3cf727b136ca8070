"""The demo's cases in litigation: each has its proceeding, proposed after the formal notice's deadline,
approved by a manager and by the client, then followed step by step as far as its dates allow today."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

import sqlalchemy as sa

from agency.db import db
from agency.models import Role, User
from cases import ledger
from cases.judicial import deadlines, routes
from cases.judicial.costs import make_enforceable, record_cost, record_title, tariff_cents
from cases.judicial.steps import LEADS_TO, TitleValues
from cases.models import Case, JudicialStep, Proceeding, Route, Stage, StepKind

K = StepKind
# After both approvals, the steps of each kind of route and the days between them.
PATHS = {
    "order": [(K.FILED, 10), (K.ORDER_ISSUED, 35), (K.SERVED, 20), (K.ENFORCEABLE, 62), (K.ENFORCEMENT, 10)],
    "small_claims": [(K.INVITATION_SENT, 8), (K.DEBTOR_ACCEPTED, 20), (K.TITLE_ISSUED, 12)],
    "referral": [(K.REFERRED, 12)],
}


def write_proceeding(case: Case, proposed: date, today: date, collector: User, rng: Random) -> Proceeding:
    """The case's proceeding from its proposal on `proposed` by `collector`, with the steps whose day has come."""
    total = ledger.balance(case.id).outstanding
    suggestion = routes.suggest(routes.facts_of(case, case.client.active_mandate(proposed), total, False), proposed)
    route = suggestion.route
    proceeding = Proceeding(
        reference=f"JUD-{proposed.year % 100:02d}-D{case.id:05d}", case_id=case.id, client_id=case.client_id,
        route=route.value, suggested_route=route.value, suggestion_reasons=[str(r) for r in suggestion.reasons],
        court=str(routes.COURTS[route]), form=routes.form_of(route, proposed), stage=Stage.PREPARING.value,
        claimed_cents=total, currency=case.currency, case_status_before="active", proposed_by_id=collector.id,
    )
    db.session.add(proceeding)
    day, fee = proposed, None
    approvers = _approvers(case, collector)
    for kind, gap in [(K.PROPOSED, 0), (K.MANAGER_APPROVED, 1), (K.CLIENT_APPROVED, 3)]:
        day += timedelta(days=gap)
        _step(proceeding, kind, day, approvers.get(kind, collector))
    path = "order" if route in (Route.ORDER_COMMERCIAL, Route.ORDER_JUDICIAL, Route.ORDER_PROTECTION) else route.value
    for kind, gap in PATHS[path]:
        day += timedelta(days=gap + rng.randint(0, 5))
        if day > today:
            break
        _step(proceeding, kind, day, collector)
        proceeding.stage = LEADS_TO[kind].value
        if kind == K.FILED and route == Route.ORDER_COMMERCIAL:
            fee = tariff_cents("commercial_court_fee", day)
            record_cost(proceeding, kind="commercial_court_fee", amount_cents=fee, incurred_on=day, actor=collector)
        elif kind in (K.ORDER_ISSUED, K.TITLE_ISSUED):
            awarded = TitleValues(number=f"{day.year}/{rng.randint(100, 9999)}",
                                  principal_cents=ledger.balance(case.id).principal, costs_cents=fee or 0)
            record_title(proceeding, awarded, issued_on=day, actor=collector, enforceable=kind == K.TITLE_ISSUED)
        elif kind == K.SERVED:
            proceeding.title.served_on = day
        elif kind == K.ENFORCEABLE:
            make_enforceable(proceeding, day, actor=collector)
    db.session.flush()
    deadlines.refresh(proceeding, today)
    return proceeding


def _approvers(case: Case, proposer: User) -> dict[StepKind, User]:
    """Who said yes: the agency's first manager, the client's first user (the proposer when there is none)."""
    manager = db.session.scalar(sa.select(User).where(User.role == Role.MANAGER.value).order_by(User.id).limit(1))
    client_user = db.session.scalar(sa.select(User).where(User.client_id == case.client_id).order_by(User.id).limit(1))
    return {K.MANAGER_APPROVED: manager or proposer, K.CLIENT_APPROVED: client_user or proposer}


def _step(proceeding: Proceeding, kind: StepKind, day: date, user: User) -> None:
    deadline = {K.ORDER_ISSUED: deadlines.serve_by, K.SERVED: deadlines.enforceable_from,
                K.INVITATION_SENT: deadlines.answer_by}.get(kind)
    db.session.add(JudicialStep(proceeding=proceeding, kind=kind.value, occurred_on=day,
                                deadline_on=deadline(day) if deadline else None, created_by_id=user.id))
