"""Teams and their pools: who works which cases, queue sizes for managers, reassigning and moving cases.

A case in a collector's queue has `assigned_collector_id`; an unassigned case with a `team_id` is
in that team's pool, which every member of the team works. A collector may be in several teams, and
then works each of their pools. An open case with neither is in no queue:
the board shows how many, so that a manager moves them into a pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import gettext as _

from agency import audit
from agency.db import db
from agency.models import AuditEvent, Role, Team, User
from agency.page_reads import read_once
from cases.models import Case
from cases.queue.queue import IN_QUEUE, OPEN_STATUSES, QueueError

ANY_POOL = "any"
NO_POOL = "none"
CHUNK = 5_000  # ids per UPDATE when moving many cases


@read_once()
def workers() -> list[User]:
    """Return the active staff who work the queue: collectors first, then the other staff, by name."""
    rows = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.role != Role.CLIENT.value).order_by(User.name)
    ).all()
    return sorted(rows, key=lambda u: u.role != Role.COLLECTOR.value)


@read_once()
def teams() -> list[Team]:
    """Return every team, by name."""
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def teams_by_id(ids: list[int]) -> list[Team]:
    """Return the teams of `ids`, by name."""
    return list(db.session.scalars(sa.select(Team).where(Team.id.in_(ids)).order_by(Team.name)))


def create_team(name: str, *, actor: User) -> Team:
    """Create a team (and so a pool) named `name`; the caller commits."""
    name = " ".join(name.split())
    if not name:
        raise QueueError(_("Give the team a name."))
    if db.session.scalar(sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower())):
        raise QueueError(_("A team named %(name)s already exists.", name=name))
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    audit.record("team.created", actor=actor, subject=team, after={"name": name})
    return team


def set_teams(user: User, new_teams: list[Team], *, actor: User) -> None:
    """Put a staff member in exactly `new_teams` (none: in no team); they then work those pools."""
    if not user.is_staff:
        raise QueueError(_("Only agency staff work the queue."))
    before = sorted(team.id for team in user.teams)
    after = sorted({team.id for team in new_teams})
    if before == after:
        return
    user.teams = sorted({team.id: team for team in new_teams}.values(), key=lambda team: team.name)
    db.session.flush()
    audit.record("user.teams_changed", actor=actor, subject=user, before={"team_ids": _ids(before)},
                 after={"team_ids": _ids(after)})


def _ids(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids)


def assign_case(case: Case, *, actor: User, collector: User | None = None, team: Team | None = None) -> None:
    """Put `case` in a collector's queue (and their team) or, with `team`, in that team's pool."""
    if (collector is None) == (team is None):
        raise QueueError(_("Choose a collector or a pool."))
    if collector is not None and (not collector.is_staff or not collector.active):
        raise QueueError(_("%(name)s does not work the queue.", name=collector.name))
    if collector is not None:
        values = {"assigned_collector_id": collector.id, "team_id": _team_for(case, collector)}
    else:
        values = {"assigned_collector_id": None, "team_id": team.id}
    before, after = audit.changes(case, **values)
    if after:
        audit.record("case.reassigned", actor=actor, subject=case, before=before, after=after)


def _team_for(case: Case, collector: User) -> int | None:
    """Return the pool a case given to `collector` belongs to: its own if one of theirs, else their first team's."""
    theirs = [team.id for team in collector.teams]
    if case.team_id in theirs or not theirs:
        return case.team_id
    return theirs[0]


def parse_references(text: str) -> list[str]:
    """Split pasted case references (spaces, commas, semicolons or lines) into a list, upper-cased."""
    return list(dict.fromkeys(r.upper() for r in re.split(r"[\s,;]+", text or "") if r))


def move_cases(
    to_team: Team,
    *,
    actor: User,
    client_id: int | None = None,
    from_pool: str = ANY_POOL,
    references: list[str] | None = None,
    include_assigned: bool = False,
) -> int:
    """Move open cases into `to_team`'s pool; return how many moved.

    The cases are those matching every criterion given: a client, a pool they are in (a team id,
    NO_POOL or ANY_POOL) and a list of references. Cases assigned to a collector stay with them
    unless `include_assigned`, which takes them away from their collector into the pool.
    """
    where = [Case.status.in_(OPEN_STATUSES)]
    if client_id is None and from_pool == ANY_POOL and not references:
        raise QueueError(_("Choose which cases to move: a client, a pool or a list of references."))
    if client_id is not None:
        where.append(Case.client_id == client_id)
    if from_pool == NO_POOL:
        where.append(Case.team_id.is_(None))
    elif from_pool != ANY_POOL:
        where.append(Case.team_id == int(from_pool))
    if references:
        where.append(Case.id.in_(_ids_of(references)))
    if not include_assigned:
        where.append(Case.assigned_collector_id.is_(None))
    moving = sa.or_(Case.team_id.is_(None), Case.team_id != to_team.id, Case.assigned_collector_id.is_not(None))
    rows = db.session.execute(
        sa.select(Case.id, Case.client_id, Case.team_id, Case.assigned_collector_id).where(*where, moving)
    ).all()
    for start in range(0, len(rows), CHUNK):
        ids = [r.id for r in rows[start : start + CHUNK]]
        db.session.execute(
            sa.update(Case)
            .where(Case.id.in_(ids))
            .values(team_id=to_team.id, assigned_collector_id=None)
            .execution_options(synchronize_session="fetch")
        )
    _audit_moves(rows, to_team, actor)
    return len(rows)


def _ids_of(references: list[str]) -> list[int]:
    found = dict(db.session.execute(sa.select(Case.reference, Case.id).where(Case.reference.in_(references))).all())
    missing = [r for r in references if r not in found]
    if missing:
        raise QueueError(_("Unknown case references: %(references)s", references=", ".join(missing[:20])))
    return list(found.values())


def _audit_moves(rows, to_team: Team, actor: User) -> None:
    """Write one audit event per case moved, in one multi-row INSERT."""
    ip = request.remote_addr if has_request_context() else None
    events = [
        {
            "action": "case.moved_to_pool",
            "actor_id": actor.id,
            "actor_label": actor.email,
            "subject_type": "collection_case",
            "subject_id": r.id,
            "client_id": r.client_id,
            "before": {"team_id": r.team_id, "assigned_collector_id": r.assigned_collector_id},
            "after": {"team_id": to_team.id, "assigned_collector_id": None},
            "ip": ip,
        }
        for r in rows
    ]
    if events:
        db.session.execute(sa.insert(AuditEvent), events)


# --- the managers' board ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSize:
    """Cases in a queue whose next action is set: `due` of them are due now."""

    queued: int = 0
    due: int = 0


@dataclass(frozen=True)
class Board:
    collectors: list[tuple[User, QueueSize, Case | None]]  # each worker, their queue, the case they hold
    pools: list[tuple[Team, QueueSize]]
    nowhere: QueueSize  # open cases in no collector's queue and no pool
    leased: int


def board(now: datetime) -> Board:
    """Return the queue sizes per collector and per pool, and who works which case now."""
    due = sa.func.coalesce(sa.func.sum(sa.case((Case.next_action_at <= now, 1), else_=0)), 0)
    queued = [IN_QUEUE, Case.next_action_at.is_not(None)]
    by_collector = {
        row[0]: QueueSize(row[1], row[2])
        for row in db.session.execute(
            sa.select(Case.assigned_collector_id, sa.func.count(), due)
            .where(*queued, Case.assigned_collector_id.is_not(None))
            .group_by(Case.assigned_collector_id)
        )
    }
    by_pool = {
        row[0]: QueueSize(row[1], row[2])
        for row in db.session.execute(
            sa.select(Case.team_id, sa.func.count(), due)
            .where(*queued, Case.assigned_collector_id.is_(None))
            .group_by(Case.team_id)
        )
    }
    held = {
        case.leased_by_id: case
        for case in db.session.scalars(
            sa.select(Case).where(Case.leased_by_id.is_not(None), Case.lease_expires_at >= now)
        )
    }
    # Collectors, and any other staff member who has a team, cases of their own or a case in hand.
    people = [u for u in workers() if u.role == Role.COLLECTOR.value or u.teams or u.id in by_collector or u.id in held]
    people += [u for u in db.session.scalars(sa.select(User).where(User.id.in_(by_collector))) if u not in people]
    return Board(
        collectors=[(u, by_collector.get(u.id, QueueSize()), held.get(u.id)) for u in people],
        pools=[(t, by_pool.get(t.id, QueueSize())) for t in teams()],
        nowhere=by_pool.get(None, QueueSize()),
        leased=len(held),
    )
