"""bench.desk's bulk work: a reassign batch and a hold batch over many open cases, run as a worker runs them.

The job over `--bulk` cases (50,000 by default, the most one batch takes): the first open cases by number, as a
filter's job would have found them, reassigned to another team's pool, then their debtors put on hold
(cease-communication). Each is timed from the job's start to its last commit and checked: every case done (or skipped with its reason),
its item and its audit event written. bench.desk runs it last, since the batches change the cases it searched.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from bench.placement import make_app

BULK_TARGET_S = 60


def time_bulk(url: str, count: int) -> tuple[dict[str, float], list[str]]:
    """Run a reassign batch and a hold batch over `count` open cases as a worker runs them; return s by batch."""
    from agency.db import db
    from agency.models import AuditEvent, Team, User
    from cases.batches.batches import run_batch_job
    from cases.models import Case, CaseBatch, CaseBatchItem

    app = make_app(url)
    times: dict[str, float] = {}
    problems: list[str] = []
    with app.app_context():
        manager_id = db.session.scalar(sa.select(User.id).where(User.email == "manager@bench.example"))
        team_id = db.session.scalar(sa.select(Team.id).order_by(Team.id.desc()).limit(1))
        ids = list(db.session.scalars(sa.select(Case.id).where(Case.status.in_(("new", "active", "promise")))
                                      .order_by(Case.id).limit(count)))
        batches = {"bulk reassign": ("reassign", {"target": f"team:{team_id}"}),
                   "bulk hold": ("hold", {"kind": "cease_communication", "reason": "Bench: client's request"})}
        for name, (action, params) in batches.items():
            # The batch as `ask_batch` records it for a filter, its ids as the job's first step finds them.
            batch = CaseBatch(action=action, params=params, filters={}, case_ids=ids, total=len(ids),
                              created_by_id=manager_id)
            db.session.add(batch)
            db.session.commit()
            batch_id = batch.id
            db.session.remove()
            started = time.perf_counter()
            run_batch_job(batch_id)
            times[name] = time.perf_counter() - started
            batch = db.session.get(CaseBatch, batch_id)
            items = db.session.scalar(sa.select(sa.func.count()).where(CaseBatchItem.batch_id == batch_id))
            events = db.session.scalar(sa.select(sa.func.count()).where(
                AuditEvent.subject_type == "collection_case", sa.cast(AuditEvent.after["batch_id"].as_string(),
                                                                      sa.Integer) == batch_id))
            if batch.status != "done" or items != len(ids) or events != len(ids):
                problems.append(f"{name}: {batch.status}, {items} items and {events} events for {len(ids)} cases")
            elif batch.done_count + batch.skipped_count != len(ids) or batch.failed_count:
                problems.append(f"{name}: {batch.done_count} done, {batch.failed_count} failed of {len(ids)}")
            print(f"{name:<20}{times[name]:>9.2f} s {len(ids):>9,} cases: {batch.done_count:,} done, "
                  f"{batch.skipped_count:,} skipped", flush=True)
            db.session.remove()
        db.engine.dispose()
    return times, problems
