"""What a closing report tells the client, gathered from the case's rows at the time it is produced.

Everything is read into plain values (cents as integers, dates as ISO text) kept on the report row, so
that the PDF and the CSV line say the same thing for ever, whatever happens to the case afterwards.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency.db import db, sum_cents
from cases.ledger import UNDONE
from cases.models import (
    SENT_STATUSES,
    Action,
    ActionKind,
    ActionStatus,
    Case,
    CaseClosing,
    ClosingReason,
    EntryKind,
    JudicialStep,
    JudicialTitle,
    LedgerEntry,
    Letter,
    Proceeding,
    Promise,
)
from cases.models.recall import CaseRecall, RecallStatus
from debtors.models import ContactKind, ContactPoint
from money.models import LineKind, Payment, PaymentChannel, PaymentPlan, RemittanceLine

OWED_PARTS = ("principal", "interest", "indemnity", "cost")
# Contacts the client is told about: a note is internal, letters are listed from their own rows.
CONTACT_KINDS = (ActionKind.CALL.value, ActionKind.SMS.value, ActionKind.EMAIL.value)
MAX_CONTACTS = 150  # the latest ones in the PDF; the counts cover them all


def gather(case: Case, closing: CaseClosing | None, reason_code: str, closed_on: date) -> dict:
    """Return the report's figures for `case` closed on `closed_on` for `reason_code`."""
    owed = _owed(case)
    money = _collected(case)
    credits = _credits(case)
    total_owed = sum(owed["closing"].values())
    remaining = total_owed - money["collected_cents"] - credits["credit_note"] - credits["write_off"]
    return {
        "case": {"reference": case.reference, "client_reference": case.client_reference,
                 "debtor": case.debtor.display_name, "kind": case.kind, "opened_on": case.opened_on.isoformat(),
                 "claims": [{"invoice": c.invoice_number, "due_on": c.due_date.isoformat(),
                             "amount_cents": c.amount_cents} for c in case.claims]},
        "closing": closing_part(closing, reason_code, closed_on),
        "owed": owed,
        "owed_total_cents": total_owed,
        "money": money,
        "credit_notes_cents": credits["credit_note"],
        "written_off_cents": credits["write_off"],
        "remaining_cents": remaining,
        "contacts": _contacts(case),
        "letters": _letters(case),
        "promises": _promises(case),
        "plans": _plans(case),
        "judicial": _judicial(case),
        "addresses": _addresses(case),
    }


def closing_part(closing: CaseClosing | None, reason_code: str, closed_on: date) -> dict:
    """The reason, and the evidence when the client must be able to show it.

    The client sees the evidence of the reasons that require one (an uncollectable debt, an upheld
    dispute: what it needs to account for the loss); the manager's decision note and who proposed or
    decided stay inside the agency.
    """
    reason = db.session.scalar(sa.select(ClosingReason).where(ClosingReason.code == reason_code))
    shown = closing is not None and reason is not None and reason.evidence_required
    return {"reason": reason_code, "label": reason.label if reason is not None else reason_code,
            "closed_on": closed_on.isoformat(), "evidence": closing.evidence if shown else ""}


def _by_kind(case: Case, *conditions) -> dict[str, int]:
    kind = sa.func.coalesce(UNDONE.kind, LedgerEntry.kind)  # a reversal counts against what it undoes
    rows = db.session.execute(
        sa.select(kind, sum_cents(LedgerEntry.amount_cents))
        .outerjoin(UNDONE, LedgerEntry.reverses_id == UNDONE.id)
        .where(LedgerEntry.case_id == case.id, *conditions).group_by(kind)
    ).all()
    return {k: int(v) for k, v in rows}


def _owed(case: Case) -> dict:
    """The debt by part at placement (entries dated up to the opening) and at closing (all of them)."""
    placed = _by_kind(case, LedgerEntry.effective_on <= case.opened_on)
    closing = _by_kind(case)
    return {"placement": {part: placed.get(part, 0) for part in OWED_PARTS},
            "closing": {part: closing.get(part, 0) for part in OWED_PARTS}}


def _credits(case: Case) -> dict[str, int]:
    sums = _by_kind(case, LedgerEntry.kind.in_((EntryKind.CREDIT_NOTE.value, EntryKind.WRITE_OFF.value,
                                                  EntryKind.REVERSAL.value)))
    return {"credit_note": -sums.get(EntryKind.CREDIT_NOTE.value, 0), "write_off": -sums.get(EntryKind.WRITE_OFF.value, 0)}


def _collected(case: Case) -> dict:
    """Payments (net of reversals), the commission on them and the fees, and what statements remitted so far.

    The fee of a recall that took effect counts in the commission and VAT as soon as it did, as the recall
    recorded it: the report of a recalled case is produced when it closes, before the next statement
    carries the fee, and the client must see the fee lowering what is still to be remitted.
    """
    payments = db.session.scalars(sa.select(Payment).where(Payment.case_id == case.id)
                                  .order_by(Payment.received_on, Payment.id)).all()
    kept = [p for p in payments if p.reversed_on is None]
    trust = sum(p.amount_cents - p.credit_cents for p in kept if p.channel == PaymentChannel.TRUST.value)
    direct = sum(p.amount_cents - p.credit_cents for p in kept if p.channel != PaymentChannel.TRUST.value)
    line = RemittanceLine
    remitted = db.session.execute(
        sa.select(sum_cents(sa.case((line.channel == PaymentChannel.TRUST.value, line.amount_cents), else_=0)),
                  sum_cents(line.commission_cents), sum_cents(line.vat_cents),
                  sum_cents(sa.case((line.kind == LineKind.FIXED_FEE.value, line.commission_cents), else_=0)))
        .where(line.case_id == case.id)
    ).one()
    remitted_trust, remitted_commission, remitted_vat, fixed_fee = (int(v) for v in remitted)
    recall_fee, recall_fee_vat = _recall_fees(case)
    commission = sum(p.commission_cents for p in kept) + fixed_fee + recall_fee
    vat = sum(p.commission_vat_cents for p in kept) + _fixed_fee_vat(case) + recall_fee_vat
    net = trust - commission - vat
    remitted_net = remitted_trust - remitted_commission - remitted_vat
    return {
        "payments": [{"on": p.received_on.isoformat(), "receipt": p.reference, "amount_cents": p.amount_cents,
                      "channel": p.channel, "reversed_on": p.reversed_on.isoformat() if p.reversed_on else ""}
                     for p in payments],
        "collected_cents": trust + direct, "trust_cents": trust, "direct_cents": direct,
        "refunded_cents": sum(p.credit_cents for p in kept),  # overpaid: the debtor's money, not the client's
        "commission_cents": commission, "recall_fee_cents": recall_fee, "vat_cents": vat, "net_cents": net,
        "remitted_cents": remitted_net, "to_remit_cents": net - remitted_net,
    }


def _fixed_fee_vat(case: Case) -> int:
    line = RemittanceLine
    return int(db.session.scalar(sa.select(sum_cents(line.vat_cents))
                                 .where(line.case_id == case.id, line.kind == LineKind.FIXED_FEE.value)))


def _recall_fees(case: Case) -> tuple[int, int]:
    """The fees (excl. VAT, and their VAT) of the case's recalls that took effect: a statement line each."""
    fee, vat = db.session.execute(
        sa.select(sum_cents(CaseRecall.fee_cents), sum_cents(CaseRecall.fee_vat_cents))
        .where(CaseRecall.case_id == case.id, CaseRecall.status == RecallStatus.CLOSED.value)
    ).one()
    return int(fee), int(vat)


def _contacts(case: Case) -> dict:
    """Calls, SMS and e-mails made (counted by kind, the latest listed with their dates and outcomes)."""
    done = (Action.case_id == case.id, Action.kind.in_(CONTACT_KINDS), Action.status == ActionStatus.DONE.value)
    counts = dict(db.session.execute(sa.select(Action.kind, sa.func.count()).where(*done)
                                     .group_by(Action.kind)).all())
    actions = db.session.scalars(sa.select(Action).where(*done).order_by(Action.done_at.desc(), Action.id.desc())
                                 .limit(MAX_CONTACTS)).all()
    return {"counts": {kind: counts.get(kind, 0) for kind in CONTACT_KINDS},
            "list": [{"on": a.done_at.date().isoformat(), "kind": a.kind, "direction": a.direction,
                      "outcome": a.outcome} for a in reversed(actions)]}


def _letters(case: Case) -> list[dict]:
    letters = db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id,
                                                         Letter.status.in_(SENT_STATUSES))
                                 .order_by(Letter.issued_on, Letter.id)).all()
    return [{"on": (letter.issued_on or letter.created_at.date()).isoformat(), "kind": letter.kind,
             "reference": letter.reference, "pay_by": letter.pay_by.isoformat() if letter.pay_by else ""}
            for letter in letters]


def _promises(case: Case) -> list[dict]:
    promises = db.session.scalars(sa.select(Promise).where(Promise.case_id == case.id)
                                  .order_by(Promise.created_at, Promise.id)).all()
    return [{"made_on": p.created_at.date().isoformat(), "due_on": p.due_on.isoformat(),
             "amount_cents": p.amount_cents, "status": p.status} for p in promises]


def _plans(case: Case) -> list[dict]:
    plans = db.session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)
                               .order_by(PaymentPlan.starts_on, PaymentPlan.id)).all()
    return [{"reference": p.reference, "agreed_on": p.starts_on.isoformat(), "total_cents": p.total_cents,
             "instalments": len(p.instalments), "status": p.status, "agreement": bool(p.agreement_path),
             "ended_on": p.ended_on.isoformat() if p.ended_on else ""} for p in plans]


def _judicial(case: Case) -> list[dict]:
    """Each proceeding with its steps the client may read (internal notes left out)."""
    proceedings = db.session.scalars(sa.select(Proceeding).where(Proceeding.case_id == case.id)
                                     .order_by(Proceeding.id)).all()
    result = []
    for proceeding in proceedings:
        steps = db.session.scalars(sa.select(JudicialStep).where(JudicialStep.proceeding_id == proceeding.id,
                                                                 JudicialStep.internal.is_(False))
                                   .order_by(JudicialStep.occurred_on, JudicialStep.id)).all()
        title = db.session.scalar(sa.select(JudicialTitle).where(JudicialTitle.proceeding_id == proceeding.id))
        result.append({"reference": proceeding.reference, "route": proceeding.route, "stage": proceeding.stage,
                       "court": proceeding.court, "title": title is not None,
                       "steps": [{"on": s.occurred_on.isoformat(), "kind": s.kind} for s in steps]})
    return result


def _addresses(case: Case) -> list[dict]:
    """Postal addresses of the debtor found while the agency worked the case (those of no known source and the
    placed ones are not findings)."""
    points = db.session.scalars(sa.select(ContactPoint).where(
        ContactPoint.debtor_id == case.debtor_id, ContactPoint.kind == ContactKind.ADDRESS.value,
        ContactPoint.created_at > case.created_at, ContactPoint.source.not_in(("placement", "")),
    ).order_by(ContactPoint.created_at)).all()
    return [{"found_on": p.created_at.date().isoformat(),
             "lines": [line for line in (p.address_line1, p.address_line2, f"{p.postcode} {p.city}".strip()) if line],
             "status": p.status} for p in points]
