"""Tasks raised by the limitation watch: a claim still owed whose limitation date comes within the alerts' window.

Read from `claim_limitation` as the daily limitation run leaves it, the same window as the managers' alert (90
days): one task per case, due a week on or on the earliest date if that comes sooner, and none while the case's
earlier one is open.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from agency.db import db, utcnow
from agency.models import AuditEvent, User
from cases.closing.limitation import ALERT_DAYS, claim_outstanding
from cases.models import Case, CaseStatus, Claim
from cases.models.limitation import ClaimLimitation
from cases.models.notes import TASK_DETAIL_MAX_CHARS, Task, TaskStatus
from cases.notes.tasks import RULES, create_rule_task

RULE = "limitation"
CHUNK = 5_000  # tasks (and audit events) per multi-row INSERT


def raise_limitation_tasks(day: date) -> int:
    """Raise a limitation task on each open case with a claim near its limitation date; return how many.

    Set-based: the first run at a million cases may find tens of thousands of cases in the window, which one by
    one (a task, a flush and an audit event each) took over a minute. Each chunk is one INSERT of its tasks and
    one of their audit events; should another request raise one of them meanwhile (the open rule task is unique
    per case), that chunk is done case by case instead, the task already open kept.
    """
    collector = sa.orm.aliased(User)
    soonest = sa.func.min(ClaimLimitation.limitation_on)
    rows = db.session.execute(
        sa.select(Case.id, Case.client_id, soonest,
                  sa.case((collector.active.is_(True), Case.assigned_collector_id)), Case.team_id)
        .select_from(ClaimLimitation).join(Case, Case.id == ClaimLimitation.case_id)
        .outerjoin(collector, collector.id == Case.assigned_collector_id)
        .where(ClaimLimitation.limitation_on >= day, ClaimLimitation.limitation_on <= day + timedelta(days=ALERT_DAYS[0]),
               ClaimLimitation.suspended_since.is_(None),
               Case.status.not_in((CaseStatus.PAID.value, CaseStatus.CLOSED.value)),
               claim_outstanding(ClaimLimitation.claim_id) > 0,
               ~sa.exists().where(Task.case_id == ClaimLimitation.case_id, Task.rule == RULE,
                                  Task.status == TaskStatus.OPEN.value))
        .group_by(Case.id, Case.client_id, collector.active, Case.assigned_collector_id, Case.team_id)
        .order_by(Case.id)
    ).all()
    for start in range(0, len(rows), CHUNK):
        _raise(day, rows[start:start + CHUNK])
    return len(rows)


def _raise(day: date, rows: list) -> None:
    invoices = _invoices_on(rows)
    title = str(RULES[RULE].title)
    tasks = [{"case_id": case_id, "client_id": client_id, "debtor_id": None, "title": title,
              "detail": _detail(invoices.get((case_id, limitation_on), []), limitation_on),
              "due_on": min(day + timedelta(days=RULES[RULE].due_in_days), limitation_on),
              "assignee_id": assignee_id, "team_id": None if assignee_id else team_id, "rule": RULE,
              "status": TaskStatus.OPEN.value, "created_at": utcnow(), "created_by_id": None}
             for case_id, client_id, limitation_on, assignee_id, team_id in rows]
    try:
        with db.session.begin_nested():
            ids = db.session.scalars(sa.insert(Task).returning(Task.id, sort_by_parameter_order=True), tasks).all()
            db.session.execute(sa.insert(AuditEvent), [
                {"action": "task.created", "actor_id": None, "actor_label": "system", "subject_type": Case.__tablename__,
                 "subject_id": task["case_id"], "client_id": task["client_id"], "ip": None,
                 "after": {"task": task_id, "title": title, "due_on": task["due_on"].isoformat(),
                           "assignee": task["assignee_id"], "team": task["team_id"], "rule": RULE,
                           "about_debtor": False}}
                for task_id, task in zip(ids, tasks, strict=True)])
    except IntegrityError:
        for task in tasks:
            create_rule_task(db.session.get(Case, task["case_id"]), RULE, due_on=task["due_on"], detail=task["detail"])


def _invoices_on(rows: list) -> dict[tuple[int, date], list[str]]:
    """The invoice numbers of the chunk's cases, by case and limitation date."""
    found: dict[tuple[int, date], list[str]] = {}
    for case_id, invoice, limitation_on in db.session.execute(
        sa.select(Claim.case_id, Claim.invoice_number, ClaimLimitation.limitation_on)
        .join(ClaimLimitation, ClaimLimitation.claim_id == Claim.id)
        .where(Claim.case_id.in_([row[0] for row in rows])).order_by(Claim.case_id, Claim.id)
    ):
        found.setdefault((case_id, limitation_on), []).append(invoice)
    return found


def _detail(invoices: list[str], limitation_on: date) -> str:
    return _("Invoice(s) %(invoices)s reach their limitation date on %(date)s: a partial payment, a promise or "
             "a plan asked restarts it, a formal notice does not.", invoices=", ".join(invoices),
             date=limitation_on.strftime("%d/%m/%Y"))[:TASK_DETAIL_MAX_CHARS]
