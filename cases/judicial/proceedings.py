"""Proposing a judicial route and gathering both approvals: nothing judicial starts without a manager's
and the client's yes (fully automatic escalation is bad practice), and only under a mandate allowing it.

A proposal waits for a manager, who may choose another route than the suggested one with a reason;
then for the client, in its portal. The client's refusal gives the case back to the agency's queue with
its reason. Both yeses take the case out of the amicable queue and its strategy (`CaseStatus.ESCALATED`).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.models import Mandate, User
from agency.page_reads import read_once
from cases import extensions, ledger
from cases.judicial import routes
from cases.models import (
    SENT_STATUSES,
    Case,
    CaseStatus,
    EntryKind,
    LedgerEntry,
    Letter,
    LetterKind,
    Proceeding,
    Promise,
    PromiseStatus,
    Route,
    Stage,
    StepKind,
)
from cases.models.judicial import JudicialStep
from debtors.models import Hold, HoldKind


class JudicialError(ValueError):
    """An operation refused: `field` names the form field it concerns ("" for the whole form)."""

    def __init__(self, message: LazyString | str, field: str = "") -> None:
        super().__init__(str(message))
        self.field = field


def open_proceeding_of(case: Case) -> Proceeding | None:
    """The case's proceeding that has not ended, if any (a case has at most one at a time)."""
    return next((p for p in proceedings_of(case) if p.is_open), None)


@read_once(key=lambda case: case.id)
def proceedings_of(case: Case) -> list[Proceeding]:
    return list(db.session.scalars(sa.select(Proceeding).where(Proceeding.case_id == case.id)
                                   .order_by(Proceeding.id.desc())))


def mandate_of(case: Case, on: date) -> Mandate | None:
    return case.client.active_mandate(on)


def why_not_propose(case: Case, on: date) -> LazyString | None:
    """Why no route may be proposed on `case` now, or None: the formal notice's deadline has passed
    without payment, promise or open dispute, under a mandate that allows the judicial stage."""
    if not CaseStatus(case.status).is_open or case.status == CaseStatus.ESCALATED:
        return _l("The case is closed, paid or already in litigation.")
    if open_proceeding_of(case) is not None:
        return _l("A judicial route is already under way on this case.")
    mandate = mandate_of(case, on)
    if mandate is None or not mandate.judicial_allowed:
        return _l("The client's mandate does not allow the judicial stage.")
    holds = [h for h in case.debtor.active_holds if h.kind != HoldKind.DISPUTE or h.case_id == case.id]
    if any(h.kind == HoldKind.DISPUTE for h in holds):
        return _l("The debtor's dispute is still open: resolve it first.")
    if holds:
        return _l("The debtor is on hold (insolvency, over-indebtedness, deceased…): no individual action.")
    notice = last_formal_notice(case)
    if notice is None or notice.pay_by is None:
        return _l("No formal notice was sent: send one first.")
    if notice.pay_by >= on:
        return _l("The formal notice's deadline (%(date)s) has not passed yet.", date=format_date(notice.pay_by))
    if paid_since(case, notice):
        return _l("The debtor paid after the formal notice: give the amicable stage its chance.")
    if db.session.scalar(sa.select(Promise.id).where(Promise.case_id == case.id,
                                                     Promise.status == PromiseStatus.PENDING.value).limit(1)):
        return _l("A promise to pay is running.")
    for stopper in extensions.demand_stoppers().values():  # a running plan, from money
        if reason := stopper(case):
            return reason
    return None


def last_formal_notice(case: Case) -> Letter | None:
    return db.session.scalar(
        sa.select(Letter).where(Letter.case_id == case.id, Letter.kind == LetterKind.FORMAL_NOTICE.value,
                                Letter.status.in_(SENT_STATUSES))
        .order_by(Letter.issued_on.desc(), Letter.id.desc()).limit(1)
    )


def paid_since(case: Case, notice: Letter) -> bool:
    return bool(db.session.scalar(
        sa.select(LedgerEntry.id).where(LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.PAYMENT.value,
                                        LedgerEntry.effective_on >= (notice.issued_on or notice.pay_by)).limit(1)
    ))


def suggestion_for(case: Case, on: date) -> routes.Suggestion:
    total = ledger.balance(case.id).outstanding
    disputed = db.session.scalar(sa.select(Hold.id).where(Hold.case_id == case.id,
                                                          Hold.kind == HoldKind.DISPUTE.value).limit(1)) is not None
    declined = any(p.route == Route.SMALL_CLAIMS and p.stage == Stage.DECLINED for p in proceedings_of(case))
    return routes.suggest(routes.facts_of(case, mandate_of(case, on), total, disputed), on,
                          small_claims_declined=declined)


def propose(case: Case, *, actor: User | None, route: Route | None = None, reason: str = "",
            on: date | None = None) -> Proceeding:
    """Propose the suggested route (or `route`, with `reason`) on `case`; a manager approves it next."""
    on = on or today()
    if why := why_not_propose(case, on):
        raise JudicialError(why)
    suggestion = suggestion_for(case, on)
    chosen = _chosen(route or suggestion.route, suggestion.route, reason)
    mandate = mandate_of(case, on)
    proceeding = Proceeding(
        reference=f"~{uuid.uuid4().hex[:30]}", case_id=case.id, client_id=case.client_id, route=chosen.value,
        suggested_route=suggestion.route.value, suggestion_reasons=[str(r) for r in suggestion.reasons],
        route_reason=reason.strip(), court=str(routes.COURTS[chosen]), form=routes.form_of(chosen, on),
        stage=Stage.PROPOSED.value, claimed_cents=ledger.balance(case.id).outstanding, currency=case.currency,
        costs_advanced_by=mandate.judicial_costs_advanced_by, proposed_by_id=actor.id if actor else None,
    )
    db.session.add(proceeding)
    db.session.flush()
    proceeding.reference = f"JUD-{on.year % 100:02d}-{proceeding.id:06d}"
    add_step(proceeding, StepKind.PROPOSED, on, actor=actor, note=reason)
    audit.record("judicial.proposed", actor=actor, subject=proceeding, client_id=case.client_id,
                 after={"case": case.reference, "route": chosen.value, "suggested": suggestion.route.value,
                        "claimed": proceeding.claimed_cents, "reason": reason.strip()})
    return proceeding


def approve_by_manager(proceeding: Proceeding, *, actor: User, route: Route | None = None, reason: str = "",
                       court: str = "", on: date | None = None) -> None:
    """A manager's yes, perhaps to another route (with a reason) or naming the court; the client decides next."""
    on = on or today()
    _expect(proceeding, Stage.PROPOSED)
    chosen = _chosen(route or Route(proceeding.route), Route(proceeding.suggested_route),
                     reason or proceeding.route_reason)
    same = chosen.value == proceeding.route
    before, after = audit.changes(
        proceeding, route=chosen.value, stage=Stage.AWAITING_CLIENT.value,
        route_reason=(reason or proceeding.route_reason).strip(),
        court=court.strip() or (proceeding.court if same else str(routes.COURTS[chosen])),
        form=routes.form_of(chosen, on),
    )
    add_step(proceeding, StepKind.MANAGER_APPROVED, on, actor=actor, note=reason)
    audit.record("judicial.manager_approved", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 before=before, after=after)


def decide_by_client(proceeding: Proceeding, *, actor: User, approve: bool, reason: str = "",
                     on: date | None = None) -> None:
    """The client's decision in its portal: yes starts the judicial stage; no gives the case back, with why."""
    on = on or today()
    _expect(proceeding, Stage.AWAITING_CLIENT)
    if not approve and not reason.strip():
        raise JudicialError(_l("Say why you refuse: the agency reads it."), "reason")
    case = proceeding.case
    if approve:
        proceeding.stage = Stage.PREPARING.value
        proceeding.case_status_before = case.status
        _leave_amicable(case)
        add_step(proceeding, StepKind.CLIENT_APPROVED, on, actor=actor, note=reason)
        audit.record("judicial.client_approved", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                     after={"case": case.reference, "route": proceeding.route, "note": reason.strip()})
    else:
        proceeding.stage = Stage.REFUSED.value
        case.next_action_at = case.next_action_at or utcnow()  # back in the agency's queue
        add_step(proceeding, StepKind.REFUSED, on, actor=actor, note=reason)
        audit.record("judicial.client_refused", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                     after={"case": case.reference, "reason": reason.strip()})


def withdraw(proceeding: Proceeding, *, actor: User, reason: str, on: date | None = None) -> None:
    """Stop a proceeding before it reaches the court (a manager), giving the case back to the amicable stage."""
    on = on or today()
    if Stage(proceeding.stage) not in (Stage.PROPOSED, Stage.AWAITING_CLIENT, Stage.PREPARING):
        raise JudicialError(_l("Once filed, a proceeding ends by its own steps, not by withdrawal."))
    if not reason.strip():
        raise JudicialError(_l("Say why the proceeding is withdrawn."), "reason")
    case = proceeding.case
    if proceeding.stage == Stage.PREPARING and case.status == CaseStatus.ESCALATED:
        case.status = proceeding.case_status_before or CaseStatus.ACTIVE.value
        case.next_action_at = utcnow()
    stop_following(proceeding, on, actor=actor, note=reason, reason=reason.strip())


def awaiting_client(client_id: int | None) -> list[Proceeding]:
    query = sa.select(Proceeding).where(Proceeding.stage == Stage.AWAITING_CLIENT.value).order_by(Proceeding.id)
    if client_id is not None:
        query = query.where(Proceeding.client_id == client_id)
    return list(db.session.scalars(query))


def stop_following(proceeding: Proceeding, on: date, *, actor: User | None, note: str, reason: str) -> None:
    """Withdraw a proceeding the agency no longer follows (withdrawn, or its case recalled or closed): no more
    deadline nor alert; the step says why."""
    before = proceeding.stage
    proceeding.stage = Stage.WITHDRAWN.value
    proceeding.next_deadline_on, proceeding.next_deadline_kind = None, ""
    add_step(proceeding, StepKind.WITHDRAWN, on, actor=actor, note=note)
    audit.record("judicial.withdrawn", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 before={"stage": before}, after={"case": proceeding.case.reference, "reason": reason})


def add_step(proceeding: Proceeding, kind: StepKind, on: date, *, actor: User | None, note: str = "",
             deadline_on: date | None = None, document_id: int | None = None, internal: bool = False) -> JudicialStep:
    step = JudicialStep(proceeding=proceeding, kind=kind.value, occurred_on=on, note=note.strip(),
                        deadline_on=deadline_on, document_id=document_id, internal=internal,
                        created_by_id=actor.id if actor else None, created_at=utcnow())
    db.session.add(step)
    return step


def _chosen(route: Route, suggested: Route, reason: str) -> Route:
    if route != suggested and not reason.strip():
        raise JudicialError(_l("Another route than the suggested one needs a reason."), "reason")
    return route


def _expect(proceeding: Proceeding, stage: Stage) -> None:
    if proceeding.stage != stage.value:
        raise JudicialError(_l("This proceeding is no longer waiting for that decision."))


def _leave_amicable(case: Case) -> None:
    """Out of the queue and the strategy: the case is in litigation."""
    case.status = CaseStatus.ESCALATED.value
    case.next_action_at = None
    case.callback_at = None
    case.leased_by_id = None
    case.lease_expires_at = None
    case.lease_token = None
