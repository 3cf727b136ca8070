"""Demo data for the work queue: two team pools, the demo collector in one, open cases due and scored."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import sqlalchemy as sa

from agency import audit
from agency.db import db, utcnow
from agency.models import Team, User
from cases.models import Case
from cases.queue.queue import refresh_scores


def fill_queue(rng: Random, cases: list[Case], collector: User) -> None:
    """Put the open cases in the queue: a pool for consumers (the collector's team), one for businesses."""
    teams = {kind: db.session.scalar(sa.select(Team).where(Team.name == name)) or Team(name=name)
             for kind, name in (("b2c", "Particuliers"), ("b2b", "Entreprises"))}  # fmt: skip
    for team in teams.values():
        if team.id is None:
            db.session.add(team)
            db.session.flush()
            audit.record("team.created", actor=None, actor_label="demo", subject=team, after={"name": team.name})
    collector.teams = [teams["b2c"]]
    now = utcnow()
    for case in cases:
        if case.status in ("new", "active", "promise"):
            case.team_id = teams[case.kind].id
            case.next_action_at = now + timedelta(hours=rng.randint(-120, 72))  # most are due now
            if rng.random() < 0.1:
                case.callback_at = case.next_action_at
    db.session.flush()
    refresh_scores(now)
