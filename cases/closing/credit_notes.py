"""Credit notes from the client, and its decision after an upheld dispute.

A credit note reduces one invoice by a `credit_note` ledger entry on its claim (negative, dated the day
the client issued it; no row is ever edited). Interest runs on the reduced principal from the day after
that date: the claim's interest is posted again at once, so a credit note dated in the past yields a
correction. When no principal is left on any invoice, the case closes with the built-in reason
`credit_note` (what interest or indemnity is left on credited invoices is written off with it).

When a manager upholds a dispute, the case waits, out of the queue, for the client's answer
(`ClientDecision`): a credit note, the withdrawal of the claim (closed as `dispute_upheld`), or the
claim maintained with the client's reason (collection resumes).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.models import User
from agency.money import format_money
from agency.page_reads import read_once
from cases import ledger
from cases.closing.closing import CLOSED, close_case
from cases.interest.posting import post_interest
from cases.models import AppliesTo, Case, CaseStatus, Claim, EntryKind, LedgerEntry
from cases.models.recall import ClientDecision, CreditNote, DecisionStatus

REFERENCE_MAX = 64
ANSWER_MAX = 2000
# What counts against an invoice's principal: the principal itself, payments allocated to it, credit notes
# and write-offs on it (a reversal counts as the entry it undoes).
_UNDONE = sa.orm.aliased(LedgerEntry, name="undone_entry")


class CreditNoteError(ValueError):
    def __init__(self, message: LazyString | str, field: str = "") -> None:
        super().__init__(str(message))
        self.field = field


def principal_left(case: Case) -> dict[int, int]:
    """Return, per claim of `case`, the principal not yet paid, credited or written off (in cents)."""
    kind = sa.func.coalesce(_UNDONE.kind, LedgerEntry.kind)
    applies_to = sa.func.coalesce(_UNDONE.applies_to, LedgerEntry.applies_to)
    claim_id = sa.func.coalesce(LedgerEntry.claim_id, _UNDONE.claim_id)
    counts = sa.or_(kind.in_([EntryKind.PRINCIPAL.value, EntryKind.CREDIT_NOTE.value, EntryKind.WRITE_OFF.value]),
                    sa.and_(kind == EntryKind.PAYMENT.value, applies_to == AppliesTo.PRINCIPAL.value))
    rows = db.session.execute(
        sa.select(claim_id, sa.func.sum(LedgerEntry.amount_cents))
        .outerjoin(_UNDONE, LedgerEntry.reverses_id == _UNDONE.id)
        .where(LedgerEntry.case_id == case.id, counts, claim_id.is_not(None))
        .group_by(claim_id)
    ).all()
    left = {claim.id: 0 for claim in case.claims}
    for cid, total in rows:
        left[cid] = max(int(total or 0), 0)
    return left


@read_once(key=lambda case: case.id)
def credit_notes_of(case: Case) -> list[CreditNote]:
    return list(db.session.scalars(sa.select(CreditNote).where(CreditNote.case_id == case.id)
                                   .order_by(CreditNote.issued_on.desc(), CreditNote.id.desc())))


def waiting_decision(case: Case) -> ClientDecision | None:
    """The client's decision the case waits for; none once the case is closed (it waits again if reopened)."""
    if case.status in CLOSED:
        return None
    return db.session.scalar(sa.select(ClientDecision).where(ClientDecision.case_id == case.id,
                                                             ClientDecision.status == DecisionStatus.WAITING.value))


def post_credit_note(case: Case, *, claim_id: int | None, amount_cents: int | None, reference: str,
                     issued_on: date | None, actor: User, via: str = "portal") -> CreditNote:
    """Reduce one invoice of `case` by the client's credit note; close the case when nothing is left."""
    reference = (reference or "").strip()
    if case.status in CLOSED:
        raise CreditNoteError(_l("The case is already paid or closed."))
    claim = db.session.get(Claim, claim_id) if claim_id else None
    if claim is None or claim.case_id != case.id:
        raise CreditNoteError(_l("Choose an invoice of this case."), "claim")
    left = principal_left(case)[claim.id]
    if amount_cents is None or amount_cents <= 0:
        raise CreditNoteError(_l("Give an amount above zero."), "amount")
    if amount_cents > left:
        raise CreditNoteError(_l("The credit note cannot exceed what is left of invoice %(invoice)s's principal "
                                 "(%(left)s).", invoice=claim.invoice_number, left=_euros(left)), "amount")
    if not reference:
        raise CreditNoteError(_l("Give the credit note's reference."), "reference")
    if len(reference) > REFERENCE_MAX:
        raise CreditNoteError(_l("At most %(n)s characters.", n=REFERENCE_MAX), "reference")
    if issued_on is None or issued_on > today():
        raise CreditNoteError(_l("Give the credit note's date, today or earlier."), "issued_on")
    entry = ledger.post_entry(case, EntryKind.CREDIT_NOTE, -amount_cents, issued_on, claim=claim, actor=actor,
                              description=f"Avoir {reference} sur la facture {claim.invoice_number}")
    db.session.flush()
    note = CreditNote(case_id=case.id, client_id=case.client_id, claim_id=claim.id, reference=reference,
                      issued_on=issued_on, amount_cents=amount_cents, currency=case.currency, received_via=via,
                      entry_id=entry.id, recorded_by_id=actor.id)
    db.session.add(note)
    db.session.flush()
    post_interest(today(), [case.id], actor=actor)  # interest again, on the reduced principal from issued_on
    audit.record("credit_note.posted", actor=actor, subject=note, client_id=case.client_id,
                 after={"case": case.reference, "invoice": claim.invoice_number, "reference": reference,
                        "issued_on": issued_on, "amount_cents": amount_cents, "via": via,
                        "principal_left": left - amount_cents})
    decision = waiting_decision(case)
    if decision is not None:
        _answer(decision, DecisionStatus.CREDIT_NOTE, f"Avoir {reference}", actor)
    if sum(principal_left(case).values()) == 0:
        close_case(case, "credit_note", actor=None, evidence=f"Avoir {reference}")
    elif decision is not None:
        _resume(case)
    return note


def answer_decision(decision: ClientDecision, *, choice: str, reason: str, actor: User) -> None:
    """The client withdraws the claim (the case closes as `dispute_upheld`) or maintains it (collection resumes)."""
    reason = (reason or "").strip()
    if decision.status != DecisionStatus.WAITING:
        raise CreditNoteError(_l("This decision was already given."))
    if decision.case.status in CLOSED:
        raise CreditNoteError(_l("The case is already paid or closed."))
    if choice not in (DecisionStatus.WITHDRAWN, DecisionStatus.MAINTAINED):
        raise CreditNoteError(_l("Choose to withdraw or to maintain the claim."), "choice")
    if len(reason) > ANSWER_MAX:
        raise CreditNoteError(_l("At most %(n)s characters.", n=ANSWER_MAX), "reason")
    if choice == DecisionStatus.MAINTAINED and not reason:
        raise CreditNoteError(_l("Say why the claim is maintained: the collector reads it."), "reason")
    case = decision.case
    _answer(decision, DecisionStatus(choice), reason, actor)
    if choice == DecisionStatus.WITHDRAWN:
        close_case(case, "dispute_upheld", actor=None, evidence=reason or "Créance retirée par le client")
    else:
        _resume(case)


def _answer(decision: ClientDecision, status: DecisionStatus, answer: str, actor: User) -> None:
    decision.status, decision.answer = status.value, answer
    decision.answered_by_id, decision.answered_at = actor.id, utcnow()
    audit.record("dispute.client_decided", actor=actor, subject=decision, client_id=decision.client_id,
                 before={"status": DecisionStatus.WAITING.value},
                 after={"case_id": decision.case_id, "status": status.value, "answer": answer})


def _resume(case: Case) -> None:
    """Back to collection once the client has answered."""
    if case.status == CaseStatus.DISPUTE:
        before, after = audit.changes(case, status=CaseStatus.ACTIVE.value, next_action_at=utcnow())
        audit.record("case.collection_resumed", actor=None, subject=case, client_id=case.client_id,
                     before=before, after=after)


def _euros(cents: int) -> str:
    return format_money(cents, "EUR", locale=str(get_locale() or "fr_FR"))
