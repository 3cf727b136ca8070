"""Payment plans and settlements: proposing one, the client's decision, cancelling (marking: `marking.py`).

- A plan's instalments add up to its total: the whole outstanding balance (a plan) or less (a
  settlement, whose remainder is written off once every instalment is paid, and owed again if not).
- Within the mandate's limits (discount up to `max_discount_bp` of the balance, last instalment at most
  `max_plan_months` after the first, no instalment below `min_instalment_cents` but the last, a first payment
  of at least `min_first_payment_cents`) a plan runs at once; beyond them staff's plan waits for the client's
  approval in the portal, and a debtor's own proposal (from their space) waits for the agency, which declines
  it or sends it to the client (`forward_plan`): nothing beyond the limits runs without the client.
- A running plan puts the case in status 'plan' and replaces the pending promises.

Operations change rows and write audit events; they never commit.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, utcnow
from agency.models import Mandate, User
from agency.money import format_money
from cases import ledger
from cases.actions import record_action
from cases.models import ActionChannel, ActionKind, Case, CaseStatus, LedgerEntry
from cases.work.promises import cancel_pending
from money.models import PaymentPlan, PlanInstalment, PlanStatus

MAX_INSTALMENTS = 120
DEFAULT_GRACE_DAYS = 5
RUNNING = (PlanStatus.AWAITING_AGENCY.value, PlanStatus.AWAITING_CLIENT.value, PlanStatus.ACTIVE.value)
ORIGINS = ("staff", "debtor")
# A plan cannot start on a case that is not being collected amicably.
NO_PLAN_STATUSES = (CaseStatus.DISPUTE, CaseStatus.HOLD, CaseStatus.ESCALATED, CaseStatus.PAID, CaseStatus.CLOSED)


class PlanError(ValueError):
    """A plan operation refused, with the form field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Limits:
    """What the mandate lets the agency agree without asking the client."""

    max_discount_bp: int
    max_plan_months: int
    min_instalment_cents: int = 0
    min_first_payment_cents: int = 0


# --- building a schedule ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, or the month's last day when it is shorter (31 Jan → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split(total: int, count: int, first_due: date, every: str = "month") -> list[tuple[date, int]]:
    """Return `count` equal instalments of `total` cents from `first_due`; the last takes the remainder."""
    if every not in ("month", "week"):
        raise PlanError(_("Choose a frequency: every month or every week."), "every")
    if not 1 <= count <= MAX_INSTALMENTS:
        raise PlanError(_("Number of instalments: between 1 and %(n)d.", n=MAX_INSTALMENTS), "count")
    if total < count:
        raise PlanError(_("Total: too small to split into %(n)d instalments.", n=count), "total")
    base = total // count
    amounts = [base] * (count - 1) + [total - base * (count - 1)]
    if every == "week":
        dates = [first_due + timedelta(weeks=i) for i in range(count)]
    else:
        dates = [add_months(first_due, i) for i in range(count)]
    return list(zip(dates, amounts, strict=True))


# --- proposing, deciding, cancelling ----------------------------------------------------------------


def limits_of(case: Case, on: date) -> Limits:
    """Return the mandate's limits for plans on `case` (none granted without a mandate in force)."""
    mandate: Mandate | None = case.client.active_mandate(on)
    if mandate is None:
        return Limits(0, 0)
    return Limits(mandate.max_discount_bp, mandate.max_plan_months, mandate.min_instalment_cents or 0,
                  mandate.min_first_payment_cents or 0)


def running_plan(case: Case) -> PaymentPlan | None:
    """Return the case's plan that is running or waiting for the client, if any."""
    return db.session.scalar(
        sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id, PaymentPlan.status.in_(RUNNING))
    )


def plans_of(case: Case) -> list[PaymentPlan]:
    """Return the case's plans, newest first."""
    return list(db.session.scalars(
        sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id).order_by(PaymentPlan.id.desc())
    ))


def propose_plan(
    case: Case,
    *,
    instalments: list[tuple[date, int]],
    total_cents: int,
    grace_days: int = DEFAULT_GRACE_DAYS,
    actor: User | None,
    origin: str = "staff",
) -> PaymentPlan:
    """Agree a plan (or settlement) with the debtor: active at once within the mandate, else sent to the client
    (a debtor's own proposal, `origin` "debtor", to the agency first)."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown plan origin {origin!r}")
    _lock(case)
    today = agency_today()
    _check_case(case)
    outstanding = ledger.balance(case.id).outstanding
    _check_schedule(instalments, total_cents, grace_days, outstanding, today)
    plan = PaymentPlan(
        case=case,
        client_id=case.client_id,
        reference=_next_reference(case),
        balance_cents=outstanding,
        # What the total already took into account: payments after this entry are the plan's.
        last_entry_id=db.session.scalar(sa.select(sa.func.max(LedgerEntry.id)).where(LedgerEntry.case_id == case.id)),
        total_cents=total_cents,
        currency=case.currency,
        starts_on=today,
        grace_days=grace_days,
        origin=origin,
        created_by_id=actor.id if actor else None,
        instalments=[
            PlanInstalment(number=i + 1, due_on=due_on, amount_cents=amount)
            for i, (due_on, amount) in enumerate(instalments)
        ],
    )
    within = within_limits(plan, limits_of(case, today))
    waiting = PlanStatus.AWAITING_AGENCY if origin == "debtor" else PlanStatus.AWAITING_CLIENT
    plan.status = PlanStatus.ACTIVE.value if within else waiting.value
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.proposed", actor=actor, actor_label=None if actor else origin, subject=plan, after={
        "case_id": case.id, "origin": origin, "reference": plan.reference, "status": plan.status, "settlement": plan.is_settlement,
        "balance_cents": outstanding, "total_cents": total_cents, "grace_days": grace_days,
        "instalments": ", ".join(f"{amount}@{due_on}" for due_on, amount in instalments),
    })
    if within:
        _activate(plan, actor=actor)
    return plan


def within_limits(plan: PaymentPlan, limits: Limits) -> bool:
    """Tell whether the mandate lets the agency agree `plan` without the client's approval."""
    discount = plan.balance_cents - plan.total_cents
    if discount * 10_000 > limits.max_discount_bp * plan.balance_cents:
        return False
    by_date = sorted(plan.instalments, key=lambda i: i.due_on)
    if by_date[0].amount_cents < limits.min_first_payment_cents:
        return False
    # The last instalment may be smaller: it takes what is left of an even split.
    if any(i.amount_cents < limits.min_instalment_cents for i in by_date[:-1]):
        return False
    dates = [i.due_on for i in plan.instalments]
    return limits.max_plan_months > 0 and max(dates) <= add_months(min(dates), limits.max_plan_months)


def approve_plan(plan: PaymentPlan, *, actor: User, note: str = "") -> PaymentPlan:
    """Approve, as the client, a plan beyond the mandate's limits: it runs from now."""
    _lock(plan.case)
    _check_awaiting(plan, PlanStatus.AWAITING_CLIENT)
    _check_case(plan.case, other_than=plan)
    _decide(plan, PlanStatus.ACTIVE, actor, note)
    _activate(plan, actor=actor)
    return plan


def refuse_plan(plan: PaymentPlan, *, actor: User, note: str) -> PaymentPlan:
    """Refuse, as the client, a plan beyond the mandate's limits, saying why."""
    if not (note or "").strip():
        raise PlanError(_("Note: say why the plan is refused."), "note")
    _lock(plan.case)
    _check_awaiting(plan, PlanStatus.AWAITING_CLIENT)
    _decide(plan, PlanStatus.REFUSED, actor, note)
    plan.ended_on, plan.ended_at = agency_today(), utcnow()
    return plan


def forward_plan(plan: PaymentPlan, *, actor: User, note: str = "") -> PaymentPlan:
    """Send, as the agency, a debtor's proposal beyond the mandate's limits to the client, who decides it."""
    _lock(plan.case)
    _check_awaiting(plan, PlanStatus.AWAITING_AGENCY)
    before = {"status": plan.status}
    plan.status = PlanStatus.AWAITING_CLIENT.value
    audit.record("plan.forwarded", actor=actor, subject=plan, before=before,
                 after={"status": plan.status, "note": (note or "").strip()[:500], "case_id": plan.case_id})
    return plan


def decline_plan(plan: PaymentPlan, *, actor: User, note: str) -> PaymentPlan:
    """Decline, as the agency, a debtor's proposal beyond the mandate's limits, saying why (the debtor reads it)."""
    if not (note or "").strip():
        raise PlanError(_("Note: say why the proposal is declined."), "note")
    _lock(plan.case)
    _check_awaiting(plan, PlanStatus.AWAITING_AGENCY)
    _decide(plan, PlanStatus.REFUSED, actor, note, event="plan.declined")
    plan.ended_on, plan.ended_at = agency_today(), utcnow()
    return plan


def cancel_plan(plan: PaymentPlan, *, actor: User, reason: str) -> PaymentPlan:
    """Cancel a running or proposed plan (the debtor withdrew, a mistake…); the case goes back to work."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(_("Reason: say why the plan is cancelled."), "reason")
    if plan.status not in RUNNING:
        raise PlanError(_("Only a running or proposed plan can be cancelled."))
    case = plan.case
    before = {"status": plan.status}
    plan.status, plan.ended_on, plan.ended_at = PlanStatus.CANCELLED.value, agency_today(), utcnow()
    audit.record("plan.cancelled", actor=actor, subject=plan, before=before,
                 after={"status": plan.status, "reason": reason[:500], "case_id": case.id})
    record_action(case, ActionKind.NOTE.value, ActionChannel.INTERNAL.value, actor=actor,
                  note=_("Plan %(reference)s cancelled: %(reason)s", reference=plan.reference, reason=reason))
    if case.status == CaseStatus.PLAN:
        return_to_queue(case, actor=actor, event="case.plan_ended", detail={"plan_id": plan.id, "cancelled": True})
    return plan


def awaiting_client(client_id: int | None = None) -> list[PaymentPlan]:
    """Return the plans waiting for a client's decision, oldest first (one client's if given)."""
    query = sa.select(PaymentPlan).where(PaymentPlan.status == PlanStatus.AWAITING_CLIENT.value)
    if client_id is not None:
        query = query.where(PaymentPlan.client_id == client_id)
    return list(db.session.scalars(query.order_by(PaymentPlan.id)))


def _check_case(case: Case, other_than: PaymentPlan | None = None) -> None:
    if CaseStatus(case.status) in NO_PLAN_STATUSES:
        raise PlanError(_("No plan on a case that is disputed, on hold, in litigation, paid or closed."))
    if case.debtor.active_holds:
        raise PlanError(_("The debtor is under a hold: no plan can be agreed."))
    running = running_plan(case)
    if running is not None and running is not other_than:
        raise PlanError(_("Plan %(reference)s is already running on this case: cancel it first.",
                          reference=running.reference))


def _check_schedule(
    instalments: list[tuple[date, int]], total: int, grace_days: int, outstanding: int, today: date
) -> None:
    """Refuse a schedule that is empty, unordered, in the past, or that does not add up."""
    if not instalments:
        raise PlanError(_("Give at least one instalment (amount and date)."), "instalments-0-amount")
    if len(instalments) > MAX_INSTALMENTS:
        raise PlanError(_("At most %(n)d instalments.", n=MAX_INSTALMENTS), "instalments")
    for i, (due_on, amount) in enumerate(instalments):
        if not isinstance(amount, int) or amount <= 0:
            raise PlanError(_("Instalment %(n)d: the amount must be positive.", n=i + 1), f"instalments-{i}-amount")
        if due_on < today:
            raise PlanError(_("Instalment %(n)d: the date is in the past.", n=i + 1), f"instalments-{i}-due_on")
        if i and due_on <= instalments[i - 1][0]:
            raise PlanError(_("Instalment %(n)d: its date must come after the one before.", n=i + 1),
                            f"instalments-{i}-due_on")
    if not 0 <= grace_days <= 60:
        raise PlanError(_("Grace days: between 0 and 60."), "grace_days")
    if outstanding <= 0:
        raise PlanError(_("Nothing is owed on this case."))
    if total <= 0:
        raise PlanError(_("Total: the amount must be positive."), "total")
    if total > outstanding:
        raise PlanError(_("Total: more than the outstanding balance."), "total")
    scheduled = sum(amount for _due, amount in instalments)
    if scheduled != total:
        raise PlanError(_("The instalments add up to %(sum)s, not the total.", sum=_money(scheduled)), "total")


def _check_awaiting(plan: PaymentPlan, waiting: PlanStatus) -> None:
    # Read again under the case's lock: another user may have decided since the page was loaded.
    db.session.flush()
    db.session.refresh(plan, ["status"])
    if plan.status != waiting:
        raise PlanError(_("This plan is not awaiting a decision."))


def _decide(plan: PaymentPlan, status: PlanStatus, actor: User, note: str, event: str = "") -> None:
    before = {"status": plan.status}
    plan.status, plan.decided_at, plan.decided_by_id = status.value, utcnow(), actor.id
    plan.decision_note = (note or "").strip()
    event = event or f"plan.{'approved' if status is PlanStatus.ACTIVE else 'refused'}"
    audit.record(event, actor=actor, subject=plan, before=before, after={"status": plan.status, "note": plan.decision_note[:500]})


def _activate(plan: PaymentPlan, *, actor: User | None) -> None:
    """Start the plan on its case: status 'plan', out of the queue until an instalment is missed."""
    case = plan.case
    cancel_pending(case, actor=actor, reason="plan")  # the plan replaces the promises
    before, after = audit.changes(case, status=CaseStatus.PLAN.value, next_action_at=None, callback_at=None)
    audit.record("case.plan_started", actor=actor, subject=case, before=before,
                 after=after | {"plan_id": plan.id, "reference": plan.reference})


def return_to_queue(
    case: Case, *, actor: User | None, event: str, detail: dict, now: datetime | None = None
) -> None:
    """Put the case back in the queue now (the queue's score ranks what is due)."""
    before, after = audit.changes(case, status=CaseStatus.ACTIVE.value, next_action_at=now or utcnow())
    audit.record(event, actor=actor, subject=case, before=before, after=after | detail)


def _next_reference(case: Case) -> str:
    count = db.session.scalar(sa.select(sa.func.count(PaymentPlan.id)).where(PaymentPlan.case_id == case.id)) or 0
    return f"{case.reference}-P{count + 1}"


def _lock(case: Case) -> None:
    """Take the case's row lock (PostgreSQL) so two requests cannot both start a plan on it."""
    db.session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())


def _money(cents: int) -> str:
    return format_money(cents, "EUR", locale=str(get_locale() or "fr"))
