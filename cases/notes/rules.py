"""Tasks raised by the limitation watch: a claim still owed whose limitation date comes within the alerts' window.

Read from `claim_limitation` as the daily limitation run leaves it, the same window as the managers' alert (90
days): one task per case, due a week on or on the earliest date if that comes sooner, and none while the case's
earlier one is open.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from agency.db import db
from cases.closing.limitation import ALERT_DAYS, claim_outstanding
from cases.models import Case, CaseStatus, Claim
from cases.models.limitation import ClaimLimitation
from cases.models.notes import Task, TaskStatus
from cases.notes.tasks import RULES, create_rule_task

RULE = "limitation"


def raise_limitation_tasks(day: date) -> int:
    """Raise a limitation task on each open case with a claim near its limitation date; return how many."""
    soonest = sa.func.min(ClaimLimitation.limitation_on)
    rows = db.session.execute(
        sa.select(ClaimLimitation.case_id, soonest)
        .join(Case, Case.id == ClaimLimitation.case_id)
        .where(ClaimLimitation.limitation_on >= day, ClaimLimitation.limitation_on <= day + timedelta(days=ALERT_DAYS[0]),
               ClaimLimitation.suspended_since.is_(None),
               Case.status.not_in((CaseStatus.PAID.value, CaseStatus.CLOSED.value)),
               claim_outstanding(ClaimLimitation.claim_id) > 0,
               ~sa.exists().where(Task.case_id == ClaimLimitation.case_id, Task.rule == RULE,
                                  Task.status == TaskStatus.OPEN.value))
        .group_by(ClaimLimitation.case_id)
        .order_by(ClaimLimitation.case_id)
    ).all()
    for case_id, limitation_on in rows:
        case = db.session.get(Case, case_id)
        invoices = db.session.scalars(
            sa.select(Claim.invoice_number).join(ClaimLimitation, ClaimLimitation.claim_id == Claim.id)
            .where(Claim.case_id == case_id, ClaimLimitation.limitation_on == limitation_on)
        ).all()
        detail = _("Invoice(s) %(invoices)s reach their limitation date on %(date)s: a partial payment, a promise or "
                   "a plan asked restarts it, a formal notice does not.", invoices=", ".join(invoices),
                   date=limitation_on.strftime("%d/%m/%Y"))
        create_rule_task(case, RULE, due_on=min(day + timedelta(days=RULES[RULE].due_in_days), limitation_on),
                         detail=detail)
    return len(rows)
