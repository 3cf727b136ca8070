"""Closing a case with a reason, and reopening it.

A collector proposes a closing and a manager confirms it (a manager closes at once; the platform closes
by itself for its own reasons). Closing brings interest up to the day, writes the remaining balance off
by one ledger entry (never by editing a row), stops the queue, the strategy, the promises and — through
`cases.extensions` — a running plan, and keeps the reason and its evidence. A manager may reopen with a
reason: a reversal entry takes the write-off back and the case returns to the queue.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency import audit
from agency.auth import PERMISSIONS
from agency.clock import today
from agency.db import db, utcnow
from agency.models import Role, User
from cases import extensions, ledger
from cases.interest.posting import post_interest
from cases.judicial.proceedings import open_proceeding_of, stop_following
from cases.models import (
    Case,
    CaseClosing,
    CaseStatus,
    ClosingReason,
    ClosingStatus,
    EntryKind,
    LedgerEntry,
)
from cases.work.promises import cancel_pending

# What cannot be closed by hand: paid and already closed cases.
CLOSED = (CaseStatus.PAID.value, CaseStatus.CLOSED.value)


class ClosingError(ValueError):
    def __init__(self, message: LazyString | str, field: str = "") -> None:
        super().__init__(str(message))
        self.field = field


def reasons(*, chosen_by_hand: bool = True) -> list[ClosingReason]:
    query = sa.select(ClosingReason).where(ClosingReason.active.is_(True)).order_by(ClosingReason.builtin.desc(),
                                                                                   ClosingReason.id)
    if chosen_by_hand:
        query = query.where(ClosingReason.automatic.is_(False))
    return list(db.session.scalars(query))


def pending_closing(case: Case) -> CaseClosing | None:
    return db.session.scalar(sa.select(CaseClosing).where(CaseClosing.case_id == case.id,
                                                          CaseClosing.status == ClosingStatus.PROPOSED.value))


def last_closing(case: Case) -> CaseClosing | None:
    return db.session.scalar(sa.select(CaseClosing).where(CaseClosing.case_id == case.id,
                                                          CaseClosing.status == ClosingStatus.CLOSED.value)
                             .order_by(CaseClosing.id.desc()).limit(1))


def propose_closing(case: Case, reason_code: str, *, evidence: str, actor: User) -> CaseClosing:
    """A collector's proposal (a manager's closes the case at once)."""
    reason = _checked(case, reason_code, evidence)
    if pending_closing(case) is not None:
        raise ClosingError(_l("A closing of this case already waits for a manager."))
    closing = CaseClosing(case_id=case.id, client_id=case.client_id, reason_code=reason.code,
                          evidence=evidence.strip(), proposed_by_id=actor.id, proposed_at=utcnow())
    db.session.add(closing)
    db.session.flush()
    audit.record("case.closing_proposed", actor=actor, subject=closing, client_id=case.client_id,
                 after={"case": case.reference, "reason": reason.code, "evidence": closing.evidence})
    if Role(actor.role) in PERMISSIONS["closings.decide"]:
        confirm_closing(closing, actor=actor)
    return closing


def confirm_closing(closing: CaseClosing, *, actor: User, note: str = "", on: date | None = None) -> None:
    if closing.status != ClosingStatus.PROPOSED:
        raise ClosingError(_l("This closing is no longer waiting for a decision."))
    closing.decided_by_id, closing.decided_at, closing.decision_note = actor.id, utcnow(), note.strip()
    _close(closing, actor=actor, on=on or today())


def reject_closing(closing: CaseClosing, *, actor: User, note: str) -> None:
    if closing.status != ClosingStatus.PROPOSED:
        raise ClosingError(_l("This closing is no longer waiting for a decision."))
    if not note.strip():
        raise ClosingError(_l("Say why the case stays open: the collector reads it."), "note")
    closing.status = ClosingStatus.REJECTED.value
    closing.decided_by_id, closing.decided_at, closing.decision_note = actor.id, utcnow(), note.strip()
    audit.record("case.closing_rejected", actor=actor, subject=closing, client_id=closing.client_id,
                 after={"case_id": closing.case_id, "note": closing.decision_note})


def close_case(case: Case, reason_code: str, *, actor: User | None, evidence: str = "",
               on: date | None = None) -> CaseClosing:
    """Close `case` at once for `reason_code` (a manager, or the platform for its own reasons)."""
    reason = _checked(case, reason_code, evidence, by_hand=actor is not None)
    closing = CaseClosing(case_id=case.id, client_id=case.client_id, reason_code=reason.code,
                          evidence=evidence.strip(), proposed_by_id=actor.id if actor else None,
                          decided_by_id=actor.id if actor else None, decided_at=utcnow(), proposed_at=utcnow())
    db.session.add(closing)
    db.session.flush()
    _close(closing, actor=actor, on=on or today())
    return closing


def reopen_case(case: Case, *, reason: str, actor: User, on: date | None = None) -> CaseClosing:
    """Reopen a closed case: the write-off is reversed by a new entry, the case goes back to the queue."""
    on = on or today()
    closing = last_closing(case)
    if case.status != CaseStatus.CLOSED or closing is None:
        raise ClosingError(_l("Only a closed case can be reopened."))
    if not reason.strip():
        raise ClosingError(_l("Say why the case is reopened."), "reason")
    if closing.write_off_entry_id is not None:
        write_off = db.session.get(LedgerEntry, closing.write_off_entry_id)
        db.session.add(LedgerEntry(
            case=case, client_id=case.client_id, claim_id=write_off.claim_id, kind=EntryKind.REVERSAL.value,
            amount_cents=-write_off.amount_cents, currency=write_off.currency, effective_on=on,
            description=f"Réouverture du dossier : abandon du {write_off.effective_on:%d/%m/%Y} annulé",
            reverses_id=write_off.id, created_by_id=actor.id,
        ))
    closing.status = ClosingStatus.REOPENED.value
    closing.reopened_by_id, closing.reopened_at, closing.reopen_reason = actor.id, utcnow(), reason.strip()
    status = closing.status_before if closing.status_before not in CLOSED + ("",) else CaseStatus.ACTIVE.value
    before, after = audit.changes(case, status=status, closed_on=None, closed_reason="", next_action_at=utcnow())
    db.session.flush()
    audit.record("case.reopened", actor=actor, subject=case, client_id=case.client_id, before=before,
                 after=after | {"reason": closing.reopen_reason, "write_off_reversed": closing.written_off_cents})
    return closing


def take_back_write_off(case: Case, amount_cents: int, on: date, *, actor: User | None) -> int:
    """A late payment on a closed case: the part of the write-off it pays is owed again, so that the payment
    is allocated, receipted and remitted like any other; the case stays closed. An entry is reversed once
    only: the write-off is reversed whole and what the payment leaves is written off again by a new entry.
    Return the cents taken back."""
    closing = last_closing(case)
    if closing is None or closing.write_off_entry_id is None:
        return 0
    write_off = db.session.get(LedgerEntry, closing.write_off_entry_id)
    written_off = -write_off.amount_cents
    amount = min(amount_cents, written_off)
    if amount <= 0:
        return 0
    reversal = LedgerEntry(case=case, client_id=case.client_id, kind=EntryKind.REVERSAL.value,
                           amount_cents=written_off, currency=write_off.currency, effective_on=on,
                           reverses_id=write_off.id, created_by_id=actor.id if actor else None,
                           description="Paiement après clôture : abandon de solde repris")
    db.session.add(reversal)
    closing.write_off_entry_id, closing.written_off_cents = None, written_off - amount
    if written_off > amount:
        again = ledger.post_entry(case, EntryKind.WRITE_OFF, amount - written_off, on, actor=actor,
                                  description=f"Clôture du dossier : solde abandonné ({closing.reason.label}), "
                                              "après un paiement tardif")
        db.session.flush()
        closing.write_off_entry_id = again.id
    db.session.flush()
    audit.record("ledger.write_off_taken_back", actor=actor, subject=reversal, client_id=case.client_id,
                 after={"case_id": case.id, "reverses_id": write_off.id, "amount_cents": amount,
                        "still_written_off": closing.written_off_cents})
    return amount


def _checked(case: Case, reason_code: str, evidence: str, *, by_hand: bool = True) -> ClosingReason:
    if case.status in CLOSED:
        raise ClosingError(_l("The case is already paid or closed."))
    return checked_reason(reason_code, evidence, by_hand=by_hand)


def checked_reason(reason_code: str, evidence: str, *, by_hand: bool = True) -> ClosingReason:
    """Return the active reason `reason_code`, refusing one the platform keeps to itself or missing its evidence."""
    reason = db.session.scalar(sa.select(ClosingReason).where(ClosingReason.code == reason_code,
                                                              ClosingReason.active.is_(True)))
    if reason is None or (by_hand and reason.automatic):
        raise ClosingError(_l("Choose a reason from the list."), "reason")
    if reason.evidence_required and not evidence.strip():
        raise ClosingError(_l("This reason needs its evidence: say what shows it (a search, a certificate, "
                              "a returned letter…)."), "evidence")
    return reason


def _close(closing: CaseClosing, *, actor: User | None, on: date) -> None:
    """Write the balance off, stop everything that works the case, and close it."""
    case = closing.case
    post_interest(on, [case.id])  # the balance written off is the one of the day
    for hook in extensions.closing_hooks():  # a running plan ends (money)
        hook([case.id], actor, closing.reason_code)
    cancel_pending(case, actor=actor, reason=f"case closed ({closing.reason_code})")
    # A proceeding still open is no longer the agency's to follow: its deadlines and alerts stop with the case.
    if (proceeding := open_proceeding_of(case)) is not None:
        stop_following(proceeding, on, actor=actor, note=f"Dossier clos : {closing.reason.label}", reason=closing.reason_code)
    outstanding = ledger.balance(case.id).outstanding
    if outstanding > 0:
        entry = ledger.post_entry(case, EntryKind.WRITE_OFF, -outstanding, on, actor=actor,
                                  description=f"Clôture du dossier : solde abandonné ({closing.reason.label})")
        db.session.flush()
        closing.write_off_entry_id, closing.written_off_cents = entry.id, outstanding
    closing.status, closing.closed_on, closing.status_before = ClosingStatus.CLOSED.value, on, case.status
    before, after = audit.changes(case, status=CaseStatus.CLOSED.value, closed_on=max(on, case.opened_on),
                                  closed_reason=closing.reason_code, next_action_at=None, callback_at=None,
                                  leased_by_id=None, lease_expires_at=None, lease_token=None)
    audit.record("case.closed", actor=actor, subject=case, client_id=case.client_id, before=before,
                 after=after | {"written_off": closing.written_off_cents, "evidence": closing.evidence})
    db.session.flush()
    for hook in extensions.closed_hooks():  # the closing report for the client (money)
        hook([closing.id])
