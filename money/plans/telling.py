"""Telling the debtor the answer to a plan they proposed in their space, by e-mail, else by SMS.

The answer (the agency's refusal, or the client's approval or refusal of a proposal beyond the mandate's limits)
is also on the debtor's page; the message brings them back to it with a link of its own. It goes like every
message, through the contact rules: an address refused for now (hours, opt-out, hold) leaves the action blocked
in the case's history, and the page still says it.
"""

from __future__ import annotations

from agency.db import db
from agency.jobs import job
from cases.messaging.email import send_case_email
from cases.messaging.sms import send_case_sms
from cases.messaging.templates import message_language, writers
from cases.models import ActionStatus
from money.models import PaymentPlan, PlanStatus

TEMPLATE = "plan_decided"


def plan_facts(plan: PaymentPlan, channel: str) -> dict:
    """What the message says of the plan, written for its reader and channel."""
    case = plan.case
    money, day, clean = writers(case, channel, message_language(case))
    first = min(plan.instalments, key=lambda i: (i.due_on, i.number))
    return {"plan": {
        "reference": plan.reference, "accepted": plan.status != PlanStatus.REFUSED, "count": len(plan.instalments),
        "total": money(plan.total_cents), "first_amount": money(first.amount_cents), "first_date": day(first.due_on),
        "reason": clean(plan.decision_note),
    }}


@job
def plan_decision_message_job(plan_id: int) -> str:
    """Send the answer to a debtor's proposal once it is decided; 'skipped' for any other plan."""
    plan = db.session.get(PaymentPlan, plan_id)
    if plan is None or plan.origin != "debtor" or plan.decided_at is None:
        return "skipped"
    action = send_case_email(plan.case, TEMPLATE, actor=None, extra=plan_facts(plan, "email"))
    if action.status != ActionStatus.BLOCKED:
        return "email"
    action = send_case_sms(plan.case, TEMPLATE, actor=None, extra=plan_facts(plan, "sms"))
    return "sms" if action.status != ActionStatus.BLOCKED else "blocked"
