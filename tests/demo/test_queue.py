"""The demo's queue works for its collector: teams, pools, scores, and "Next" during calling hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agency.db import utcnow
from agency.models import User
from cases.models import Case
from cases.queue.leases import lease_next_case
from cases.queue.queue import queue_counts
from tests.demo.test_demo import run_demo

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday morning in Paris, within the calling hours and on no public holiday.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=PARIS)


def test_the_demo_collector_has_a_queue_and_gets_a_case(app, db_session, time_machine):
    time_machine.move_to(TUESDAY_MORNING)
    run_demo(app)
    collector = db_session.scalar(sa.select(User).where(User.email == "collector@amiable.example"))
    assert [team.name for team in collector.teams] == ["Particuliers"]
    counts = queue_counts(collector, utcnow())
    assert counts.pool_planned > 50 and counts.pool_due > 0 and counts.mine_planned > 0
    scored = db_session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.queue_score > 0))
    assert scored > 100
    found = lease_next_case(collector, utcnow())
    assert found.case is not None and found.case.leased_by_id == collector.id
    assert found.case.assigned_collector_id == collector.id or found.case.team_id == collector.team_id
