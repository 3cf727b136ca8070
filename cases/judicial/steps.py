"""A proceeding followed step by step, each on its day, by a user, with what proves it.

Which step may follow which is a table (`NEXT`); a step's date may be neither in the future nor before
the previous step's, and the law's deadlines are checked on recording: an order served after its
deadline is void (record it lapsed), an order cannot be enforced before two months from service. The
daily job (`jobs.py`) records what silence decides: a small-claims invitation unanswered within a month
is a refusal, an order not served in time has lapsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.clock import today
from agency.db import utcnow
from agency.models import User
from agency.money import format_money
from cases.judicial import costs, deadlines
from cases.judicial.proceedings import JudicialError, add_step, open_proceeding_of
from cases.models import Case, CaseStatus, Proceeding, Route, Stage, StepKind

S, K = Stage, StepKind
# stage → the steps that may follow it; each step leads to the stage of `LEADS_TO` (or stays).
NEXT: dict[Stage, tuple[StepKind, ...]] = {
    S.PREPARING: (K.FILED, K.INVITATION_SENT, K.REFERRED),
    S.FILED: (K.ORDER_ISSUED, K.ORDER_PARTLY_GRANTED, K.ORDER_REFUSED),
    S.ORDER_ISSUED: (K.SERVED, K.LAPSED),
    S.SERVED: (K.OPPOSITION, K.ENFORCEABLE),
    S.OPPOSED: (K.REFERRED,),
    S.INVITED: (K.DEBTOR_ACCEPTED, K.DEBTOR_DECLINED),
    S.AGREED: (K.TITLE_ISSUED,),
    S.REFERRED: (K.TITLE_ISSUED, K.PAID, K.PARTLY_PAID, K.UNENFORCEABLE),
    S.ENFORCEABLE: (K.ENFORCEMENT, K.PAID, K.PARTLY_PAID),
    S.ENFORCEMENT: (K.ENFORCEMENT_ACT, K.PAID, K.PARTLY_PAID, K.UNENFORCEABLE),
    S.PARTLY_PAID: (K.ENFORCEMENT, K.ENFORCEMENT_ACT, K.PAID, K.UNENFORCEABLE),
}
LEADS_TO: dict[StepKind, Stage] = {
    K.FILED: S.FILED, K.ORDER_ISSUED: S.ORDER_ISSUED, K.ORDER_PARTLY_GRANTED: S.ORDER_ISSUED,
    K.ORDER_REFUSED: S.ORDER_REFUSED, K.SERVED: S.SERVED, K.OPPOSITION: S.OPPOSED, K.ENFORCEABLE: S.ENFORCEABLE,
    K.INVITATION_SENT: S.INVITED, K.DEBTOR_ACCEPTED: S.AGREED, K.DEBTOR_DECLINED: S.DECLINED,
    K.TITLE_ISSUED: S.ENFORCEABLE, K.REFERRED: S.REFERRED, K.ENFORCEMENT: S.ENFORCEMENT, K.PAID: S.PAID,
    K.PARTLY_PAID: S.PARTLY_PAID, K.UNENFORCEABLE: S.UNENFORCEABLE, K.LAPSED: S.LAPSED,
}
# Steps that fit one kind of route only.
ONLY_FOR: dict[StepKind, tuple[Route, ...]] = {
    K.FILED: (Route.ORDER_COMMERCIAL, Route.ORDER_JUDICIAL, Route.ORDER_PROTECTION),
    K.INVITATION_SENT: (Route.SMALL_CLAIMS,),
    K.REFERRED: (Route.REFERRAL, Route.ORDER_COMMERCIAL, Route.ORDER_JUDICIAL, Route.ORDER_PROTECTION),
}
# Steps that need an order's or a title's particulars.
WITH_TITLE = (K.ORDER_ISSUED, K.ORDER_PARTLY_GRANTED, K.TITLE_ISSUED)


@dataclass(frozen=True)
class TitleValues:
    """What an order or a title awards, as the user reads it from the document."""

    court: str = ""
    number: str = ""
    principal_cents: int = 0
    interest_cents: int = 0
    interest_from: date | None = None
    article_700_cents: int = 0
    costs_cents: int = 0


def allowed_steps(proceeding: Proceeding) -> list[StepKind]:
    """The steps that may be recorded next (what the case page offers)."""
    route = Route(proceeding.route)
    return [kind for kind in NEXT.get(Stage(proceeding.stage), ())
            if route in ONLY_FOR.get(kind, tuple(Route))]


def record_step(proceeding: Proceeding, kind: StepKind, occurred_on: date, *, actor: User | None, note: str = "",
                document_id: int | None = None, title: TitleValues | None = None, internal: bool = False,
                on: date | None = None) -> None:
    """Record `kind` on `occurred_on`, checked against the table, the dates and the law's deadlines."""
    on = on or today()
    if kind not in allowed_steps(proceeding):
        raise JudicialError(_l("This step cannot follow the proceeding's current stage."), "kind")
    previous = proceeding.steps[-1].occurred_on if proceeding.steps else occurred_on
    if occurred_on > on:
        raise JudicialError(_l("The date cannot be in the future."), "occurred_on")
    if occurred_on < previous:
        raise JudicialError(_l("The date cannot be before the previous step's (%(date)s).",
                               date=format_date(previous)), "occurred_on")
    _check_deadline(proceeding, kind, occurred_on)
    if kind in WITH_TITLE and title is None:
        raise JudicialError(_l("Give the order's or title's particulars."), "number")
    stage_before = proceeding.stage
    if kind in WITH_TITLE:  # first: what it awards is checked before anything is recorded
        costs.record_title(proceeding, title, issued_on=occurred_on, actor=actor,
                           enforceable=kind == K.TITLE_ISSUED)
    deadline = _deadline_opened(kind, occurred_on)
    step = add_step(proceeding, kind, occurred_on, actor=actor, note=note, deadline_on=deadline,
                    document_id=document_id, internal=internal)
    proceeding.stage = LEADS_TO.get(kind, Stage(proceeding.stage)).value
    if kind == K.SERVED and proceeding.title is not None:
        proceeding.title.served_on = occurred_on
    elif kind == K.ENFORCEABLE:
        costs.make_enforceable(proceeding, occurred_on, actor=actor)
    elif kind == K.ENFORCEMENT_ACT and proceeding.title is not None and proceeding.title.expires_on:
        # Each enforcement act interrupts the title's ten years (CPCE L111-4): they run again from it.
        proceeding.title.expires_on = max(proceeding.title.expires_on, deadlines.title_expires(occurred_on))
    if Stage(proceeding.stage) in (S.ORDER_REFUSED, S.LAPSED, S.DECLINED, S.UNENFORCEABLE):
        _back_to_agency(proceeding)
    deadlines.refresh(proceeding, on)
    audit.record(f"judicial.{kind.value}", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 before={"stage": stage_before},
                 after={"stage": proceeding.stage, "on": occurred_on.isoformat(), "note": step.note,
                        "deadline": deadline.isoformat() if deadline else None, "document": document_id})


def payment_received(case: Case, received_on: date, outstanding_cents: int, *, actor: User | None) -> None:
    """A payment on a case in litigation moves its proceeding: paid when nothing is left, partly paid once
    a title is being enforced (before a title, a part-payment changes no stage: the claim stands)."""
    proceeding = open_proceeding_of(case)
    if proceeding is None or Stage(proceeding.stage) in (S.PROPOSED, S.AWAITING_CLIENT):
        return
    day = max(received_on, proceeding.steps[-1].occurred_on if proceeding.steps else received_on)
    if outstanding_cents <= 0:
        kind = K.PAID
    elif Stage(proceeding.stage) in (S.ENFORCEABLE, S.ENFORCEMENT, S.REFERRED):
        kind = K.PARTLY_PAID
    else:
        return
    stage_before = proceeding.stage
    note = str(_l("Payment received: %(left)s left.", left=format_money(max(outstanding_cents, 0))))
    add_step(proceeding, kind, day, actor=actor, note=note)
    proceeding.stage = LEADS_TO[kind].value
    deadlines.refresh(proceeding, day)
    audit.record(f"judicial.{kind.value}", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 before={"stage": stage_before}, after={"stage": proceeding.stage, "outstanding": outstanding_cents})


def _check_deadline(proceeding: Proceeding, kind: StepKind, occurred_on: date) -> None:
    for deadline in deadlines.deadlines_of(proceeding):
        if kind == K.SERVED and deadline.kind == "serve_by" and occurred_on > deadline.on:
            raise JudicialError(_l("The order had to be served by %(date)s: it is void. Record it as lapsed.",
                                   date=format_date(deadline.on)), "occurred_on")
        if kind == K.LAPSED and deadline.kind == "serve_by" and occurred_on <= deadline.on:
            raise JudicialError(_l("The order may still be served until %(date)s.", date=format_date(deadline.on)),
                                "occurred_on")
        if kind == K.ENFORCEABLE and deadline.kind == "enforceable_from" and occurred_on < deadline.on:
            raise JudicialError(_l("Without opposition, the order becomes enforceable on %(date)s, two months "
                                   "after its service.", date=format_date(deadline.on)), "occurred_on")


def _deadline_opened(kind: StepKind, occurred_on: date) -> date | None:
    """The deadline a step opens, fixed on recording: a later change of the figures never moves it."""
    if kind in (K.ORDER_ISSUED, K.ORDER_PARTLY_GRANTED):
        return deadlines.serve_by(occurred_on)
    if kind == K.SERVED:
        return deadlines.enforceable_from(occurred_on)
    if kind == K.INVITATION_SENT:
        return deadlines.answer_by(occurred_on)
    return None


def _back_to_agency(proceeding: Proceeding) -> None:
    """A proceeding that ended without a title gives the case back to the agency, in its queue."""
    case = proceeding.case
    if case.status == CaseStatus.ESCALATED:
        case.status = proceeding.case_status_before or CaseStatus.ACTIVE.value
        case.next_action_at = utcnow()
