"""Recording a payment (allocation, commission, a paid case closed) and reversing one (the case reopened)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, utcnow
from agency.models import User
from agency.money import case_limit_cents, format_money, too_large_message
from cases import ledger
from cases.closing.closing import take_back_write_off
from cases.interest.posting import NOT_POSTED, post_interest
from cases.interest.sql import accrued_by_claim, rate_segments
from cases.judicial.steps import payment_received as judicial_payment_received
from cases.models import AppliesTo, Case, CaseStatus, EntryKind, LedgerEntry
from money.commission import case_age_days, commission_of, commission_rate_bp
from money.models import Payment, PaymentChannel, PaymentMethod
from money.payments.allocation import Line, allocate
from money.payments.items import open_items
from money.plans.marking import refresh_case_plan, reopen_after_reversal

REFERENCE_PREFIX = "Q"  # quittance
KEY_MAX = 64
REASON_MAX = 255


class PaymentError(ValueError):
    """A payment or reversal refused, with the form field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DuplicatePaymentError(PaymentError):
    """A payment like one already on the case (amount, date received, payer reference): recorded once confirmed."""

    def __init__(self, earlier: Payment) -> None:
        who = earlier.created_by.name if earlier.created_by else _("the platform")
        super().__init__(
            _("Confirm: a payment of %(amount)s received on %(date)s with the same payer reference was already "
              "recorded on this case (%(reference)s, by %(who)s). Record this one only if the debtor paid twice.",
              amount=format_money(earlier.amount_cents, earlier.currency, locale=str(get_locale() or "fr")),
              date=format_date(earlier.received_on, "short"), reference=earlier.reference, who=who),
            "confirm_duplicate",
        )
        self.earlier = earlier


def record_payment(
    case: Case,
    *,
    amount_cents: int,
    received_on: date,
    method: str,
    channel: str,
    idempotency_key: str,
    payer_reference: str = "",
    debtor_choice: Sequence[int] = (),
    note: str = "",
    actor: User | None,
    currency: str | None = None,
    confirm_duplicate: bool = False,
) -> Payment:
    """Record a payment on `case` and allocate it; the same idempotency key again returns the first payment.

    A payment with the amount, date received and payer reference of one already on the case (not
    reversed) is refused with a `DuplicatePaymentError` naming it, unless `confirm_duplicate` says the
    debtor really paid twice. Interest is brought up to the payment's date first, so that the payment
    settles the interest owed that day and no more; interest posted for later days is corrected
    afterwards. A paid case is closed and leaves the queue. The caller commits, then asks for the receipt
    (`jobs.issue_receipt_later`).
    """
    key = (idempotency_key or "").strip()
    _check(case, amount_cents, received_on, method, channel, key, debtor_choice, currency)
    # Payments on one case one at a time (PostgreSQL): a twin submitted meanwhile is seen below, by its key
    # (the same form again) or as a duplicate (the same payment entered twice).
    status = db.session.execute(sa.select(Case.status).where(Case.id == case.id).with_for_update()).scalar_one()
    existing = _by_key(case.client_id, key)
    if existing is not None:
        return _same_or_refuse(existing, case, amount_cents)
    if not confirm_duplicate:
        earlier = duplicate_of(case, amount_cents, received_on, payer_reference)
        if earlier is not None:
            raise DuplicatePaymentError(earlier)

    segments = rate_segments()  # read once for every interest statement below
    # As the posting's own condition reads it (the status committed last): on a closed case or under a plan, a
    # posting would post nothing.
    posting = status not in NOT_POSTED
    posted_later = False
    if posting:
        post_interest(received_on, [case.id], segments=segments)
        # Read under the posting's locks (no other run posts on the case until this transaction ends): the
        # posting just made went beyond the payment's date only where an earlier one had.
        posted_later = db.session.scalar(sa.select(sa.exists().where(
            LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.INTEREST.value,
            LedgerEntry.accrued_through > received_on,
        )))
    if case.status == CaseStatus.CLOSED:  # a late payment: what it pays of the write-off is owed again
        take_back_write_off(case, amount_cents, received_on, actor=actor)
    before = ledger.balance(case.id)
    choice = [int(cid) for cid in dict.fromkeys(debtor_choice)]
    # Once posted through the payment's date, and no further, each claim's interest is what accrued that day
    # and caps nothing: the day's accrual is read only where interest ran beyond the day, or was not posted.
    cap = accrued_by_claim([case.id], received_on, segments) if posted_later or not posting else None
    # Allocated before the payment is written (writing it changes no ledger entry): its row is inserted with
    # its credit and commission rather than updated for them.
    lines = _allocate(case, amount_cents, received_on, choice, cap)
    payment = Payment(
        case=case,
        client_id=case.client_id,
        reference=f"~{uuid.uuid4().hex[:30]}",  # replaced by the numbered reference once the id is known
        amount_cents=amount_cents,
        currency=case.currency,
        received_on=received_on,
        method=method,
        channel=channel,
        payer_reference=payer_reference.strip()[:100],
        debtor_choice=choice,
        note=note.strip(),
        idempotency_key=key,
        created_by_id=actor.id if actor else None,
        credit_cents=sum(line.amount_cents for line in lines if line.applies_to == AppliesTo.CREDIT),
    )
    _snapshot_commission(case, payment)
    try:
        with db.session.begin_nested():  # a concurrent twin commits first: its key wins, ours is dropped
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:
        existing = _by_key(case.client_id, key)
        if existing is None:
            raise
        return _same_or_refuse(existing, case, amount_cents)
    payment.reference = f"{REFERENCE_PREFIX}{received_on.year % 100:02d}-{payment.id:07d}"
    for line in lines:
        _write_line(case, payment, line, actor)
    if posting and posted_later:
        # Corrects interest posted beyond the payment's date. Through it, the principal the payment settles on
        # that day changes nothing: without later postings there is nothing to correct.
        post_interest(received_on, [case.id], segments=segments)
    # A running plan learns of the payment at once: a last instalment completes it (a settlement writes
    # off the rest) without waiting for the daily marking.
    refresh_case_plan(case, agency_today())

    after = ledger.balance(case.id)
    payment.balance_after_cents = after.outstanding
    status_before = case.status
    if after.outstanding <= 0 and case.is_open:
        _close_paid(case, received_on)
    if status_before == CaseStatus.ESCALATED:  # a case in litigation: the payment moves its proceeding
        judicial_payment_received(case, received_on, after.outstanding, actor=actor)
    db.session.flush()
    audit.record(
        "payment.recorded",
        actor=actor,
        subject=payment,
        before={"outstanding": before.outstanding, "credit": before.credit, "status": status_before},
        after={
            "reference": payment.reference,
            "case": case.reference,
            "amount": amount_cents,
            "channel": channel,
            "method": method,
            "received_on": received_on,
            "outstanding": after.outstanding,
            "credit": after.credit,
            "status": case.status,
            "commission": payment.commission_cents,
            "allocation": "; ".join(f"{ln.claim_id or '-'}:{ln.applies_to.value}:{ln.amount_cents}" for ln in lines),
        },
    )
    return payment


def allocate_payment(case: Case, amount_cents: int, paid_on: date, debtor_choice: Sequence[int] = ()) -> list[Line]:
    """Return how `amount_cents` paid on `paid_on` would be allocated on `case` as its ledger stands."""
    return _allocate(case, amount_cents, paid_on, debtor_choice, accrued_by_claim([case.id], paid_on))


def _allocate(
    case: Case, amount_cents: int, paid_on: date, debtor_choice: Sequence[int], interest_cap: dict[int, int] | None
) -> list[Line]:
    items = open_items(case, interest_cap=interest_cap)
    return allocate(
        amount_cents, items.claims, paid_on=paid_on, case_costs=items.case_costs, debtor_choice=debtor_choice
    )


def reverse_payment(payment: Payment, *, reason: str, on: date, actor: User | None) -> list[LedgerEntry]:
    """Undo a payment's allocation (bounced cheque, chargeback) with one reversal per entry; reopen a paid case."""
    reason = (reason or "").strip()
    # Two managers reversing at once: the second waits here, then finds the payment reversed.
    db.session.refresh(payment, with_for_update=True)
    if payment.reversed_on is not None:
        raise PaymentError(
            _("Payment %(reference)s was already reversed on %(date)s.", reference=payment.reference,
              date=format_date(payment.reversed_on, "short")),
        )
    if not reason:
        raise PaymentError(_("Reason: say why the payment is reversed (bounced cheque, chargeback…)."), "reason")
    if len(reason) > REASON_MAX:
        raise PaymentError(_("Reason: at most %(n)d characters.", n=REASON_MAX), "reason")
    if on is None or on > agency_today():
        raise PaymentError(_("Date: the reversal cannot be dated in the future."), "on")
    if on < payment.received_on:
        raise PaymentError(_("Date: the reversal cannot be dated before the payment was received."), "on")
    case = payment.case
    before = ledger.balance(case.id)
    entries = db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.payment_id == payment.id, LedgerEntry.kind == EntryKind.PAYMENT.value)
        .order_by(LedgerEntry.id)
    ).all()
    reversals = []
    for entry in entries:
        reversal = LedgerEntry(
            case=case,
            client_id=case.client_id,
            claim_id=entry.claim_id,
            kind=EntryKind.REVERSAL.value,
            amount_cents=-entry.amount_cents,
            currency=entry.currency,
            effective_on=on,
            description=f"{payment.reference} · {reason}"[:255],
            reverses_id=entry.id,
            payment_id=payment.id,
            applies_to=entry.applies_to,
            created_by_id=actor.id if actor else None,
        )
        db.session.add(reversal)
        reversals.append(reversal)
    payment.reversed_on = on
    payment.reversal_reason = reason
    payment.reversed_by_id = actor.id if actor else None
    db.session.flush()
    status_before = case.status
    reopened = reopen_after_reversal(case, on=on, actor=actor)
    if reopened is not None and case.status == CaseStatus.PAID:
        # Back under its plan: the marking below breaks it (case back in the queue) if the instalment is missed.
        case.status = CaseStatus.PLAN.value
        case.closed_on = None
        case.closed_reason = ""
        case.next_action_at = None
        db.session.flush()
    if case.status == CaseStatus.PAID and ledger.balance(case.id).outstanding > 0:
        case.status = CaseStatus.ACTIVE.value
        case.closed_on = None
        case.closed_reason = ""
        case.next_action_at = utcnow()  # back in the queue at once
        db.session.flush()
    # The principal the payment had settled runs interest again (interest is posted on open cases only).
    _post_interest(on, case.id)
    refresh_case_plan(case, agency_today())
    after = ledger.balance(case.id)
    audit.record(
        "payment.reversed",
        actor=actor,
        subject=payment,
        before={"outstanding": before.outstanding, "credit": before.credit, "status": status_before},
        after={
            "reference": payment.reference,
            "case": case.reference,
            "reason": reason,
            "reversed_on": on,
            "outstanding": after.outstanding,
            "credit": after.credit,
            "status": case.status,
        },
    )
    return reversals


def duplicate_of(case: Case, amount_cents: int, received_on: date, payer_reference: str = "") -> Payment | None:
    """Return the case's payment (not reversed) with this amount, date received and payer reference, if any.

    References are compared without case or extra spaces ("VIR 2211" is "vir  2211"); no reference matches no
    reference.
    """
    wanted = _plain_reference((payer_reference or "").strip()[:100])  # as it would be stored
    candidates = db.session.scalars(
        sa.select(Payment).where(Payment.case_id == case.id, Payment.amount_cents == amount_cents,
                                 Payment.received_on == received_on, Payment.reversed_on.is_(None))
        .order_by(Payment.id)
    )
    return next((p for p in candidates if _plain_reference(p.payer_reference) == wanted), None)


def _plain_reference(reference: str | None) -> str:
    return " ".join((reference or "").split()).casefold()


def new_idempotency_key() -> str:
    """Return a fresh key for a payment form: a resubmission of the same form carries the same key."""
    return uuid.uuid4().hex


def _check(case, amount_cents, received_on, method, channel, key, debtor_choice, currency) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise TypeError("amounts are integer cents")
    if amount_cents <= 0:
        raise PaymentError(_("Amount: a payment must be more than zero."), "amount")
    if amount_cents > (limit := case_limit_cents()):
        # The bound of a case: a typo of many digits is refused, not stored.
        raise PaymentError(too_large_message(limit, case.currency), "amount")
    if received_on is None:
        raise PaymentError(_("Date received: give the date the money was received."), "received_on")
    if received_on > agency_today():
        raise PaymentError(_("Date received: a payment cannot be received in the future."), "received_on")
    if currency is not None and currency != case.currency:
        raise PaymentError(
            _("Amount: the case is in %(currency)s; record the payment in that currency.", currency=case.currency),
            "amount",
        )
    if method not in {m.value for m in PaymentMethod}:
        raise PaymentError(_("Method: choose how the debtor paid."), "method")
    if channel not in {c.value for c in PaymentChannel}:
        raise PaymentError(_("Received by: choose who received the money."), "channel")
    if not key or len(key) > KEY_MAX:
        raise PaymentError(_("This form has expired: reload the page and enter the payment again."))
    claim_ids = {claim.id for claim in case.claims}
    for cid in debtor_choice:
        if int(cid) not in claim_ids:
            raise PaymentError(_("Invoices chosen by the debtor: one of them is not on this case."), "debtor_choice")


def _by_key(client_id: int, key: str) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.client_id == client_id, Payment.idempotency_key == key))


def _same_or_refuse(existing: Payment, case: Case, amount_cents: int) -> Payment:
    """Return the payment already recorded under this key, unless the key now comes with another payment."""
    if existing.case_id != case.id or existing.amount_cents != amount_cents:
        raise PaymentError(_("This form was already used for another payment: reload the page and enter it again."))
    return existing


def _write_line(case: Case, payment: Payment, line: Line, actor: User | None) -> LedgerEntry:
    entry = LedgerEntry(
        case=case,
        client_id=case.client_id,
        claim_id=line.claim_id,
        kind=EntryKind.PAYMENT.value,
        amount_cents=-line.amount_cents,
        currency=case.currency,
        effective_on=payment.received_on,
        description=payment.reference,
        payment_id=payment.id,
        applies_to=line.applies_to.value,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    return entry


def _snapshot_commission(case: Case, payment: Payment) -> None:
    """Fix the commission on the collected amount from the mandate in force the day it was received.

    The credit (overpaid, to be refunded) was not collected for the client and bears no commission.
    """
    mandate = case.client.active_mandate(payment.received_on) or case.client.active_mandate(case.opened_on)
    if mandate is None:
        return
    claims = case.claims
    principal = sum(c.amount_cents for c in claims)
    age = case_age_days(min(c.due_date for c in claims), case.opened_on) if claims else 0
    rate = commission_rate_bp(mandate, principal_cents=principal, age_days=age)
    commission, vat = commission_of(payment.amount_cents - payment.credit_cents, rate, mandate.vat_bp)
    payment.commission_bp, payment.commission_cents, payment.commission_vat_cents = rate, commission, vat


def _close_paid(case: Case, paid_on: date) -> None:
    """Close a fully paid case and take it out of the queue."""
    case.status = CaseStatus.PAID.value
    case.closed_on = max(paid_on, case.opened_on)
    case.closed_reason = "paid"
    case.next_action_at = None
    case.callback_at = None
    case.leased_by_id = None
    case.lease_expires_at = None
    case.lease_token = None


def _post_interest(through: date, case_id: int) -> None:
    post_interest(through, [case_id])

