"""The legal deadlines of a proceeding, from its steps' dates and the figures in force (LEGAL-FR §9).

An order to pay must be served within 6 months of its issue, 3 months for orders issued from
1 September 2026 (the figure in force on the order's date decides); the debtor may oppose within a month
of service, and the creditor may enforce when no opposition was notified within 2 months of service. A
small-claims invitation gets its answer within a month (silence is a refusal). A court title lives
10 years. Months are calendar months; a day missing in the target month is its last day (31 January
plus one month is 28 or 29 February).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cases.judicial import settings
from cases.models import Proceeding, StepKind
from debtors.holds import add_months


def serve_by(order_issued_on: date) -> date:
    """The last day to serve an order issued on `order_issued_on` (void after it)."""
    return add_months(order_issued_on, settings.number("order_service_months", order_issued_on))


def opposition_until(served_on: date) -> date:
    return add_months(served_on, settings.number("opposition_months", served_on))


def enforceable_from(served_on: date) -> date:
    """The first day the order may be enforced when no opposition was notified."""
    return add_months(served_on, settings.number("enforceable_months", served_on))


def answer_by(invited_on: date) -> date:
    return add_months(invited_on, settings.number("small_claims_answer_months", invited_on))


def title_expires(enforceable_on: date) -> date:
    return add_months(enforceable_on, 12 * settings.number("title_life_years", enforceable_on))


@dataclass(frozen=True)
class Deadline:
    kind: str  # serve_by, opposition_until, enforceable_from, answer_by, title_expires
    on: date


def deadlines_of(proceeding: Proceeding) -> list[Deadline]:
    """The deadlines the proceeding's current stage runs under, earliest first (from its recorded steps)."""
    last = {}
    for step in proceeding.steps:
        last[step.kind] = step
    stage = proceeding.stage
    found: list[Deadline] = []
    if stage == "order_issued":
        issued = last.get(StepKind.ORDER_ISSUED) or last.get(StepKind.ORDER_PARTLY_GRANTED)
        found.append(Deadline("serve_by", issued.deadline_on or serve_by(issued.occurred_on)))
    elif stage == "served":
        served = last[StepKind.SERVED]
        found += [Deadline("opposition_until", opposition_until(served.occurred_on)),
                  Deadline("enforceable_from", served.deadline_on or enforceable_from(served.occurred_on))]
    elif stage == "invited":
        invited = last[StepKind.INVITATION_SENT]
        found.append(Deadline("answer_by", invited.deadline_on or answer_by(invited.occurred_on)))
    elif stage in ("enforceable", "enforcement", "partly_paid") and proceeding.title is not None:
        if proceeding.title.expires_on:
            found.append(Deadline("title_expires", proceeding.title.expires_on))
    return sorted(found, key=lambda d: d.on)


def next_deadline(proceeding: Proceeding, on: date) -> Deadline | None:
    """The first deadline not yet past on `on`, else the last one (a passed deadline stays visible)."""
    found = deadlines_of(proceeding)
    return next((d for d in found if d.on >= on), found[-1] if found else None)


def refresh(proceeding: Proceeding, on: date) -> None:
    """Store the next deadline on the proceeding (what the managers' list sorts by)."""
    deadline = next_deadline(proceeding, on) if proceeding.is_open else None
    proceeding.next_deadline_on = deadline.on if deadline else None
    proceeding.next_deadline_kind = deadline.kind if deadline else ""
