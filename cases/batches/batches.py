"""Asking for a batch on a selection of cases, and the job that runs it chunk by chunk.

The selection is the cases ticked in the list, or every case its filter matches: that filter is counted when
asked (refused past MAX_SELECTION) and run again by the job, in the asker's tenant scope, so that the batch acts on
what matches when it runs; the ids it finds are kept on the batch, so that a rerun works on the same cases.

Each chunk is one transaction: the cases' changes, an item per case (done, skipped with its reason, failed) and an
audit event per case commit together. A rerun of the job (RQ's retry, a worker that died, a manager's "resume")
skips the cases that have an item, so it never acts twice on a case.
"""

from __future__ import annotations

from dataclasses import asdict

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _

from agency import audit
from agency.auth import can, scoped
from agency.bulk import insert_rows, select_in
from agency.db import db, utcnow
from agency.jobs import job, report_progress
from agency.models import AuditEvent, User
from cases.batches.actions import ACTIONS, BatchAction, BatchError, Outcome
from cases.models import BatchStatus, Case, CaseBatch, CaseBatchItem, ItemOutcome
from cases.search import CaseFilters, count_matching, matching_ids

MAX_SELECTION = 50_000  # cases in one batch: the figure the bench holds to a minute
MAX_TICKED = 1_000
CAPPED = "capped"  # CaseBatch.note: the filter found more than MAX_SELECTION cases when the job ran


def ask_batch(action_name: str, raw: dict, *, actor: User, case_ids: list[int] | None = None,
              filters: CaseFilters | None = None) -> CaseBatch:
    """Check the action's choices and the selection (ticked ids, or a filter), and record the batch for the job."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise BatchError(_("Choose an action."), "action")
    if not (can("cases.bulk", actor) and can(action.permission, actor)):
        raise BatchError(_("You may not take this action on many cases."), "action")
    params = action.check(raw)
    if filters is None:
        ids = _ticked(case_ids or [], actor)
        batch = CaseBatch(action=action.name, params=params, filters=None, case_ids=ids, total=len(ids))
    else:
        found = count_matching(actor, filters, MAX_SELECTION + 1)
        if not found:
            raise BatchError(_("No case matches this filter."), "scope")
        if found > MAX_SELECTION:
            raise BatchError(_("This filter matches more than %(n)s cases, more than one batch takes: narrow it "
                               "(a client, a status…) and start again.", n=format_number(MAX_SELECTION)), "scope")
        batch = CaseBatch(action=action.name, params=params, filters=asdict(filters), case_ids=[], total=found)
    batch.created_by_id = actor.id
    db.session.add(batch)
    db.session.flush()
    audit.record("case_batch.asked", actor=actor, subject=batch, after={
        "action": action.name, "cases": batch.total, "selection": "filter" if filters is not None else "ticked",
        **params})
    return batch


def _ticked(case_ids: list[int], actor: User) -> list[int]:
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise BatchError(_("Tick the cases to act on, or choose all the cases matching the filter."), "scope")
    if len(ids) > MAX_TICKED:
        raise BatchError(_("At most %(n)s ticked cases: choose all the cases matching the filter instead.",
                           n=format_number(MAX_TICKED)), "scope")
    visible = {i for (i,) in select_in(scoped(Case, actor).with_only_columns(Case.id), Case.id, ids, sa.Integer)}
    if len(visible) != len(ids):
        raise BatchError(_("Some ticked cases were not found: reload the list and tick them again."), "scope")
    return ids


@job(timeout=3_600)
def run_batch_job(batch_id: int) -> int:
    """Run the batch's action on its cases not yet processed, chunk by chunk; return how many it has done."""
    batch = db.session.get(CaseBatch, batch_id)
    if batch is None or batch.status == BatchStatus.DONE:
        return 0
    action = ACTIONS[batch.action]
    actor = db.session.get(User, batch.created_by_id) if batch.created_by_id else None
    try:
        if batch.filters is not None and not batch.case_ids:
            _select(batch, actor)
        batch.status, batch.error = BatchStatus.RUNNING.value, ""
        batch.started_at = batch.started_at or utcnow()
        db.session.commit()
        ids = [int(i) for i in batch.case_ids]
        for start in range(0, len(ids), action.chunk):
            _run_chunk(batch, action, ids[start:start + action.chunk], actor)
            db.session.commit()  # the chunk's changes, items and events together: a rerun skips these cases
            report_progress(min(start + action.chunk, len(ids)), len(ids))
        if action.finish is not None:
            action.finish(batch)
    except Exception as exc:
        db.session.rollback()
        _mark_failed(batch_id, exc)
        db.session.commit()
        raise
    batch.status, batch.finished_at = BatchStatus.DONE.value, utcnow()
    audit.record("case_batch.finished", actor=actor, subject=batch, after={
        "done": batch.done_count, "skipped": batch.skipped_count, "failed": batch.failed_count})
    return batch.done_count


def _select(batch: CaseBatch, actor: User | None) -> None:
    """Run the batch's filter again, as its asker sees the list, and keep the ids it finds on the batch."""
    ids = matching_ids(actor, CaseFilters(**batch.filters), MAX_SELECTION + 1) if actor is not None else []
    if len(ids) > MAX_SELECTION:
        batch.note, ids = CAPPED, ids[:MAX_SELECTION]
    batch.case_ids, batch.total = ids, len(ids)


def _run_chunk(batch: CaseBatch, action: BatchAction, ids: list[int], actor: User | None) -> None:
    processed = {case_id for (case_id,) in select_in(
        sa.select(CaseBatchItem.case_id).where(CaseBatchItem.batch_id == batch.id), CaseBatchItem.case_id, ids,
        sa.Integer)}
    todo = [case_id for case_id in ids if case_id not in processed]
    if not todo:
        return
    # The asker's tenant scope, again: a case they may no longer see is skipped (a deactivated asker sees none).
    clients: dict[int, int] = {}
    if actor is not None and actor.active:
        clients = dict(select_in(scoped(Case, actor).with_only_columns(Case.id, Case.client_id), Case.id, todo,
                                 sa.Integer))
    unseen = Outcome.skipped("not_found", _("This case is not among those you may see."))
    outcomes = {case_id: unseen for case_id in todo if case_id not in clients}
    outcomes |= action.run([case_id for case_id in todo if case_id in clients], batch.params, actor)
    _record(batch, outcomes, clients, actor)


def _record(batch: CaseBatch, outcomes: dict[int, Outcome], clients: dict[int, int], actor: User | None) -> None:
    """Write each case's item and audit event, and add the chunk to the batch's counts."""
    now, actor_id = utcnow(), actor.id if actor else None
    insert_rows(CaseBatchItem.__table__, (
        {"batch_id": batch.id, "case_id": case_id, "outcome": o.outcome, "reason": o.reason, "detail": o.detail[:2000],
         "created_at": now} for case_id, o in outcomes.items()))
    insert_rows(AuditEvent.__table__, (
        {"created_at": now, "actor_id": actor_id, "actor_label": actor.email if actor else "system",
         "action": o.event or f"case.batch_{batch.action if o.outcome == ItemOutcome.DONE else o.outcome}",
         "subject_type": Case.__tablename__, "subject_id": case_id, "client_id": clients.get(case_id),
         "before": o.before, "after": {"batch_id": batch.id, "batch_action": batch.action, "outcome": o.outcome,
                                       "reason": o.reason, **o.after}} for case_id, o in outcomes.items()))
    counted = [o.outcome for o in outcomes.values()]
    batch.done_count += counted.count(ItemOutcome.DONE.value)
    batch.skipped_count += counted.count(ItemOutcome.SKIPPED.value)
    batch.failed_count += counted.count(ItemOutcome.FAILED.value)


def _mark_failed(batch_id: int, exc: Exception) -> None:
    """Say on the batch that its job stopped (its committed chunks stay done); a rerun goes on from there."""
    batch = db.session.get(CaseBatch, batch_id)
    batch.status, batch.error = BatchStatus.FAILED.value, repr(exc)[:2000]
    audit.record("case_batch.failed", actor=None, subject=batch, after={"error": batch.error[:200]})


def resume_batch(batch: CaseBatch, *, actor: User) -> None:
    """Set a stopped batch going again: its job skips the cases already processed."""
    if batch.status != BatchStatus.FAILED:
        raise BatchError(_("Only a stopped batch can be resumed."))
    batch.status = BatchStatus.QUEUED.value
    audit.record("case_batch.resumed", actor=actor, subject=batch, before={"status": BatchStatus.FAILED.value},
                 after={"status": batch.status, "processed": batch.processed})
