"""Tasks: something to do on a case by a date, for a person or a team; typed by staff or raised by a rule.

"My tasks" lists a person's open tasks and their teams', by due date; a task due before today (the agency's day,
`agency.clock`) is overdue. A rule (a hardship the debtor states, a claim nearing its limitation date, a letter
returned) raises one open task per case and rule: raised again while that one is open, it adds nothing. A rule's
task goes to the case's collector, else to the case's team, else to nobody, which the managers' list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from agency import audit
from agency.auth import tenant_clause
from agency.clock import today
from agency.db import db, utcnow
from agency.models import Team, User, team_member
from cases.models import Case
from cases.models.notes import TASK_DETAIL_MAX_CHARS, TASK_TITLE_MAX_CHARS, Task, TaskStatus
from cases.notes import NoteError
from cases.queue.teams import teams, workers

LIST_LIMIT = 500  # rows on one page of tasks; the oldest due come first, so nothing overdue is cut


@dataclass(frozen=True)
class Rule:
    title: object  # a lazy string: the task's title in the reader's language
    due_in_days: int


# The rules that raise tasks. A returned letter is raised by the returned-mail work, which calls
# `create_rule_task(case, "returned_letter")`.
RULES: dict[str, Rule] = {
    "hardship": Rule(_l("Call the debtor back: hardship stated from their space"), 2),
    "limitation": Rule(_l("Limitation date near: get an acknowledgment or act"), 7),
    "returned_letter": Rule(_l("Letter returned: find a new address"), 3),
}


def create_task(case: Case, *, title: str, detail: str, due_on: date | None, actor: User,
                assignee: User | None = None, team: Team | None = None, about_debtor: bool = False) -> Task:
    """Create a task on `case` for `assignee` or `team`, due on `due_on`. Not committed."""
    title, detail = " ".join((title or "").split()), (detail or "").strip()
    if not title:
        raise NoteError(_("Give the task a title."), "title")
    if len(title) > TASK_TITLE_MAX_CHARS:
        raise NoteError(_("A title holds at most %(count)d characters.", count=TASK_TITLE_MAX_CHARS), "title")
    if len(detail) > TASK_DETAIL_MAX_CHARS:
        raise NoteError(_("The detail holds at most %(count)d characters.", count=TASK_DETAIL_MAX_CHARS), "detail")
    if due_on is None:
        raise NoteError(_("Give the date the task is due."), "due_on")
    if due_on < today():
        raise NoteError(_("The due date cannot be in the past."), "due_on")
    if (assignee is None) == (team is None):
        raise NoteError(_("Choose who does the task: a person or a team."), "assignee")
    if assignee is not None and not (assignee.active and assignee.is_staff):
        raise NoteError(_("Choose an active member of the agency's staff."), "assignee")
    return _add(case, title=title, detail=detail, due_on=due_on, assignee=assignee, team=team, rule=None,
                about_debtor=about_debtor, actor=actor)


def create_rule_task(case: Case, rule: str, *, due_in_days: int | None = None, due_on: date | None = None,
                     detail: str = "") -> Task:
    """Raise `rule`'s task on `case`, or return the one still open. Not committed."""
    spec = RULES[rule]
    existing = _open_rule_task(case, rule)
    if existing is not None:
        return existing
    due_on = due_on or today() + timedelta(days=spec.due_in_days if due_in_days is None else due_in_days)
    collector = case.assigned_collector if case.assigned_collector and case.assigned_collector.active else None
    try:
        with db.session.begin_nested():  # another request raising the same rule at the same moment wins
            return _add(case, title=str(spec.title), detail=detail.strip()[:TASK_DETAIL_MAX_CHARS], due_on=due_on,
                        assignee=collector, team=None if collector else case.team, rule=rule, about_debtor=False,
                        actor=None)
    except IntegrityError:
        return _open_rule_task(case, rule)


def _open_rule_task(case: Case, rule: str) -> Task | None:
    return db.session.scalar(sa.select(Task).where(Task.case_id == case.id, Task.rule == rule,
                                                   Task.status == TaskStatus.OPEN.value))


def _add(case: Case, *, title: str, detail: str, due_on: date, assignee: User | None, team: Team | None,
         rule: str | None, about_debtor: bool, actor: User | None) -> Task:
    task = Task(case_id=case.id, client_id=case.client_id, debtor_id=case.debtor_id if about_debtor else None,
                title=title, detail=detail, due_on=due_on, assignee_id=assignee.id if assignee else None,
                team_id=team.id if team else None, rule=rule, status=TaskStatus.OPEN.value, created_at=utcnow(),
                created_by_id=actor.id if actor else None)
    db.session.add(task)
    db.session.flush()
    audit.record("task.created", actor=actor, subject=case, client_id=case.client_id,
                 after={"task": task.id, "title": title, "due_on": due_on, "assignee": task.assignee_id,
                        "team": task.team_id, "rule": rule, "about_debtor": about_debtor})
    return task


def close_task(task: Task, status: TaskStatus, *, actor: User) -> None:
    """Mark an open task done or cancelled, by whom and when. Not committed."""
    if not task.is_open:
        raise NoteError(_("This task is already closed."))
    task.status, task.closed_at, task.closed_by_id = status.value, utcnow(), actor.id
    audit.record(f"task.{status.value}", actor=actor, subject=task.case, client_id=task.client_id,
                 before={"task": task.id, "status": TaskStatus.OPEN.value}, after={"task": task.id, "status": status.value})


def title_of(task: Task) -> str:
    """The task's title in the reader's language: a rule's is its rule's (raised in a debtor's language perhaps)."""
    return str(RULES[task.rule].title) if task.rule in RULES else task.title


def is_overdue(task: Task, day: date | None = None) -> bool:
    """Tell whether an open task was due before `day` (today, the agency's day)."""
    return task.is_open and task.due_on < (day or today())


def _listed(query: sa.Select) -> list[Task]:
    query = query.options(joinedload(Task.case), joinedload(Task.assignee), joinedload(Task.team))
    return list(db.session.scalars(query.order_by(Task.due_on, Task.id).limit(LIST_LIMIT)).unique())


def _teams_of(user: User) -> sa.Select:
    return sa.select(team_member.c.team_id).where(team_member.c.user_id == user.id)


def my_tasks(user: User) -> list[Task]:
    """The user's open tasks and their teams', soonest due first."""
    mine = sa.or_(Task.assignee_id == user.id, Task.team_id.in_(_teams_of(user)))
    return _listed(sa.select(Task).where(Task.status == TaskStatus.OPEN.value, mine))


def all_open_tasks(assignee: str = "") -> list[Task]:
    """Every open task (the managers' view), perhaps of one assignee: "user:<id>", "team:<id>" or "none"."""
    query = sa.select(Task).where(Task.status == TaskStatus.OPEN.value)
    kind, _sep, number = assignee.partition(":")
    if kind == "user" and number.isdigit():
        query = query.where(Task.assignee_id == int(number))
    elif kind == "team" and number.isdigit():
        query = query.where(Task.team_id == int(number))
    elif assignee == "none":
        query = query.where(Task.assignee_id.is_(None), Task.team_id.is_(None))
    return _listed(query)


def my_due_count(user: User) -> int:
    """How many of the user's and their teams' open tasks are due today or overdue (the menu's badge)."""
    mine = sa.or_(Task.assignee_id == user.id, Task.team_id.in_(_teams_of(user)))
    return db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(
        Task.status == TaskStatus.OPEN.value, Task.due_on <= today(), mine)) or 0


def tasks_of_case(case: Case) -> list[Task]:
    """The case's tasks: open ones soonest due first, then the closed ones, latest closed first."""
    rows = db.session.scalars(sa.select(Task).where(Task.case_id == case.id)
                              .options(joinedload(Task.assignee), joinedload(Task.team))).unique()
    rows = list(rows)
    return (sorted((t for t in rows if t.is_open), key=lambda t: (t.due_on, t.id))
            + sorted((t for t in rows if not t.is_open), key=lambda t: t.closed_at, reverse=True))


def tasks_of_debtor(debtor_id: int) -> list[Task]:
    """The open tasks set on the debtor (about all their cases), soonest due first."""
    return _listed(sa.select(Task).where(Task.debtor_id == debtor_id, Task.status == TaskStatus.OPEN.value))


def get_task_or_404(task_id: int, user: User) -> Task:
    """Load a task within the user's scope, or answer 404."""
    return db.session.scalar(sa.select(Task).where(Task.id == task_id, tenant_clause(Task, user))) or abort(404)


def assignee_choices() -> list[tuple[str, str]]:
    """The people and teams a task may go to, as ("user:<id>" | "team:<id>", label)."""
    people = sorted(workers(), key=lambda u: (u.name, u.id))  # by name: a task goes to anyone on the staff
    return ([(f"user:{u.id}", u.name) for u in people]
            + [(f"team:{t.id}", _("Team %(name)s", name=t.name)) for t in teams()])


def parse_assignee(value: str) -> tuple[User | None, Team | None]:
    """Read "user:<id>" or "team:<id>" back into the person or the team (None, None when unknown)."""
    kind, _sep, number = (value or "").partition(":")
    if not number.isdigit():
        return None, None
    if kind == "user":
        return db.session.get(User, int(number)), None
    if kind == "team":
        return None, db.session.get(Team, int(number))
    return None, None
