"""Closing many cases with one reason: a manager's list or file of references, closed by a background job.

The references are read and checked when asked (each one not found, or already paid or closed, is set
aside with why); the job then closes the others by chunks, set-based: interest brought up to the day for
the chunk at once, the balances read in one query, the write-offs, closings and audit events written in
bulk (COPY on PostgreSQL), the cases, their promises and — through `cases.extensions` — their plans
updated in a few statements. Each case still gets its own write-off entry, closing row and audit event,
as if closed one by one. The job is one transaction: it closes every case it was given or none.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.bulk import RowStream, allocate_ids, select_in
from agency.clock import today
from agency.db import db, utcnow
from agency.jobs import job, report_progress
from agency.models import AuditEvent, User
from cases import extensions, ledger
from cases.closing.closing import CLOSED, ClosingError, checked_reason
from cases.interest.posting import post_interest
from cases.judicial.proceedings import stop_following
from cases.models import (
    BatchStatus,
    Case,
    CaseClosing,
    CaseStatus,
    ClosingBatch,
    ClosingReason,
    ClosingStatus,
    EntryKind,
    LedgerEntry,
    Proceeding,
    Promise,
    PromiseStatus,
    Stage,
)
from cases.models.judicial import CLOSED_STAGES

CHUNK = 2_000
MAX_REFERENCES = 200_000
_SEPARATORS = re.compile(r"[\s,;]+")


def ask_batch(references: str, reason_code: str, *, evidence: str, actor: User) -> ClosingBatch:
    """Read the references, set aside those that cannot be closed, and record the batch for the job."""
    reason = checked_reason(reason_code, evidence)
    wanted = list(dict.fromkeys(r.upper() for r in _SEPARATORS.split(references) if r))
    if not wanted:
        raise ClosingError(_l("Give the references of the cases to close, one per line."), "references")
    if len(wanted) > MAX_REFERENCES:
        raise ClosingError(_l("At most %(n)s cases at a time.", n=MAX_REFERENCES), "references")
    found = {ref: (case_id, status) for case_id, ref, status in
             select_in(sa.select(Case.id, Case.reference, Case.status), Case.reference, wanted)}
    to_close, skipped = [], []
    for reference in wanted:
        case_id, status = found.get(reference, (None, None))
        if case_id is None:
            skipped.append({"reference": reference, "why": "not_found"})
        elif status in CLOSED:
            skipped.append({"reference": reference, "why": status})
        else:
            to_close.append(case_id)
    batch = ClosingBatch(reason_code=reason.code, evidence=evidence.strip(), case_ids=to_close, skipped=skipped,
                         created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    audit.record("case.bulk_closing_asked", actor=actor, subject=batch,
                 after={"reason": reason.code, "cases": len(to_close), "skipped": len(skipped)})
    return batch


@job(timeout=1_800)
def close_batch_job(batch_id: int) -> int:
    """Close the batch's cases (the job commits when it returns; a failure leaves every case as it was)."""
    batch = db.session.get(ClosingBatch, batch_id)
    if batch is None or batch.status == BatchStatus.DONE:
        return 0
    batch.status = BatchStatus.RUNNING.value
    actor = db.session.get(User, batch.created_by_id) if batch.created_by_id else None
    ids = [int(i) for i in batch.case_ids]
    on = today()
    for start in range(0, len(ids), CHUNK):
        closed, written_off = close_many(ids[start:start + CHUNK], batch.reason_code, evidence=batch.evidence,
                                         actor=actor, on=on)
        batch.closed_count += closed
        batch.written_off_cents += written_off
        report_progress(min(start + CHUNK, len(ids)), len(ids))
    batch.status, batch.finished_at = BatchStatus.DONE.value, utcnow()
    return batch.closed_count


def close_many(case_ids: list[int], reason_code: str, *, evidence: str, actor: User | None,
               on: date) -> tuple[int, int]:
    """Close the still-open cases among `case_ids`, set-based; return how many, and the total written off."""
    open_ids = [cid for (cid,) in
                select_in(sa.select(Case.id).where(Case.status.not_in(CLOSED)), Case.id, case_ids, sa.Integer)]
    if not open_ids:
        return 0, 0
    post_interest(on, open_ids)
    owed = {cid: b.outstanding for cid, b in ledger.balances(open_ids).items()}
    cases = {row.id: row for row in select_in(
        sa.select(Case.id, Case.client_id, Case.currency, Case.status), Case.id, open_ids, sa.Integer)}
    for hook in extensions.closing_hooks():
        hook(open_ids, actor, reason_code)
    now, actor_id = utcnow(), actor.id if actor else None
    # The pending promises are cancelled as `cases.work.promises.cancel_pending` does, an audit event each.
    promises = list(select_in(sa.select(Promise.id, Promise.case_id).where(
        Promise.status == PromiseStatus.PENDING.value), Promise.case_id, open_ids, sa.Integer))
    db.session.execute(sa.update(Promise).where(Promise.case_id.in_(open_ids),
                                                Promise.status == PromiseStatus.PENDING.value)
                       .values(status=PromiseStatus.CANCELLED.value, resolved_at=now)
                       .execution_options(synchronize_session=False))
    # The ledger's descriptions are the agency's words (the reason's label), like those of a single closing.
    label = db.session.scalar(sa.select(ClosingReason.label).where(ClosingReason.code == reason_code))
    # Few cases of a batch are in litigation: their open proceedings stop one by one, as for a single closing.
    open_stages = [s.value for s in Stage if s not in CLOSED_STAGES]
    for (proceeding_id,) in list(select_in(sa.select(Proceeding.id).where(Proceeding.stage.in_(open_stages)),
                                           Proceeding.case_id, open_ids, sa.Integer)):
        stop_following(db.session.get(Proceeding, proceeding_id), on, actor=actor, note=f"Dossier clos : {label}",
                       reason=reason_code)
    debtors = [cid for cid in open_ids if owed[cid] > 0]
    entry_ids = dict(zip(debtors, allocate_ids(LedgerEntry.__table__, len(debtors)), strict=True))
    closing_ids = dict(zip(open_ids, allocate_ids(CaseClosing.__table__, len(open_ids)), strict=True))
    with RowStream() as stream:
        stream.write(LedgerEntry.__table__, (
            {"id": entry_ids[cid], "case_id": cid, "client_id": cases[cid].client_id,
             "kind": EntryKind.WRITE_OFF.value, "amount_cents": -owed[cid], "currency": cases[cid].currency,
             "effective_on": on, "description": f"Clôture du dossier : solde abandonné ({label})",
             "created_by_id": actor_id, "created_at": now} for cid in debtors))
        stream.write(CaseClosing.__table__, (
            {"id": closing_ids[cid], "case_id": cid, "client_id": cases[cid].client_id, "reason_code": reason_code, "evidence": evidence,
             "status": ClosingStatus.CLOSED.value, "proposed_by_id": actor_id, "proposed_at": now,
             "decided_by_id": actor_id, "decided_at": now, "closed_on": on,
             "written_off_cents": max(owed[cid], 0), "write_off_entry_id": entry_ids.get(cid),
             "status_before": cases[cid].status} for cid in open_ids))
        stream.write(AuditEvent.__table__, (
            {"created_at": now, "actor_id": actor_id, "actor_label": actor.email if actor else "system",
             "action": "case.closed", "subject_type": Case.__tablename__, "subject_id": cid,
             "client_id": cases[cid].client_id,
             "before": {"status": cases[cid].status},
             "after": {"status": CaseStatus.CLOSED.value, "closed_reason": reason_code,
                       "written_off": max(owed[cid], 0), "bulk": True}} for cid in open_ids))
        stream.write(AuditEvent.__table__, (
            {"created_at": now, "actor_id": actor_id, "actor_label": actor.email if actor else "system",
             "action": "promise.cancelled", "subject_type": Promise.__tablename__, "subject_id": promise_id,
             "client_id": cases[cid].client_id, "after": {"case_id": cid, "reason": f"case closed ({reason_code})"}}
            for promise_id, cid in promises))
    db.session.execute(
        sa.update(Case).where(Case.id.in_(open_ids))
        .values(status=CaseStatus.CLOSED.value, closed_reason=reason_code,
                closed_on=sa.case((Case.opened_on > on, Case.opened_on), else_=on), next_action_at=None,
                callback_at=None, leased_by_id=None, lease_expires_at=None, lease_token=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()  # rows changed behind the session's back
    for hook in extensions.closed_hooks():  # each case's closing report (money), asked in this transaction
        hook(list(closing_ids.values()))
    return len(open_ids), sum(max(owed[cid], 0) for cid in open_ids)
