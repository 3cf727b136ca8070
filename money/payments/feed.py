"""What the screens show of payments: the case's panel and ledger origins, and the payments feed (R124-5).

Client users see every payment on their cases, partial ones included, from the moment it is recorded,
newest first: the creditor is told of every payment (CPCE R124-5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from agency.auth import can, scoped
from agency.clock import today as agency_today
from agency.db import db
from agency.models import User
from cases import ledger
from cases.models import Case, CaseStatus, EntryKind, LedgerEntry
from money.models import Payment
from money.payments.forms import DeclarePaymentForm, RecordPaymentForm, ReverseForm
from money.payments.items import allocation_of

PER_PAGE = 50


@dataclass
class Panel:
    """What the case screen's payment panel shows to the current user."""

    payments: list[Payment]
    allocation: dict[int, list[LedgerEntry]]
    credit: int
    record_form: RecordPaymentForm | None = None
    declare_form: DeclarePaymentForm | None = None
    reverse_form: ReverseForm | None = None
    claims: dict[int, str] = field(default_factory=dict)  # claim id → invoice number


def payments_panel(case: Case) -> Panel:
    """Gather the payment panel of `case`: its payments and allocation, and the forms the user may use."""
    payments = db.session.scalars(
        sa.select(Payment).where(Payment.case_id == case.id).order_by(Payment.received_on.desc(), Payment.id.desc())
    ).all()
    panel = Panel(
        payments=list(payments),
        allocation=allocation_of([p.id for p in payments]),
        credit=ledger.balance(case.id).credit,
        claims={claim.id: claim.invoice_number for claim in case.claims},
    )
    takes_payments = case.status != CaseStatus.CLOSED
    if takes_payments and can("payments.record"):
        panel.record_form = RecordPaymentForm(formdata=None).for_case(case)
    if takes_payments and can("payments.declare"):
        panel.declare_form = DeclarePaymentForm(formdata=None).for_case(case)
    for form in (panel.record_form, panel.declare_form):
        if form is not None:
            form.received_on.data = agency_today()
    if can("payments.reverse"):
        panel.reverse_form = ReverseForm(formdata=None)
    return panel


@dataclass(frozen=True)
class Origin:
    """Where a ledger entry comes from, in words, with a link when there is something to open."""

    text: str
    url_payment: Payment | None = None
    user: User | None = None


def ledger_origins(case: Case) -> dict[int, Origin]:
    """Return entry id → its origin: the placement, an interest run, a payment and its receipt, a reversal."""
    entries = case.ledger_entries
    by_id = {e.id: e for e in entries}
    payment_ids = {e.payment_id for e in entries if e.payment_id}
    payments = (
        {p.id: p for p in db.session.scalars(sa.select(Payment).where(Payment.id.in_(payment_ids)))}
        if payment_ids
        else {}
    )
    user_ids = {e.created_by_id for e in entries if e.created_by_id}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    origins = {}
    for entry in entries:
        user = users.get(entry.created_by_id)
        payment = payments.get(entry.payment_id)
        claim = entry.claim.invoice_number if entry.claim else ""
        if entry.kind == EntryKind.REVERSAL:
            undone = by_id.get(entry.reverses_id)
            what = _("payment %(reference)s", reference=payment.reference) if payment else (
                _("entry of %(date)s", date=format_date(undone.effective_on, "short")) if undone else "")
            text = _("Reversal of %(what)s", what=what)
        elif payment is not None:
            text = _("Payment %(reference)s", reference=payment.reference)
        elif entry.kind == EntryKind.INTEREST:
            text = (_("Interest run through %(date)s", date=format_date(entry.accrued_through, "short"))
                    if entry.accrued_through else _("Interest run"))
        elif entry.kind == EntryKind.PRINCIPAL:
            text = _("Placement, invoice %(number)s", number=claim) if claim else _("Placement")
        else:
            text = ""
        if claim and entry.kind != EntryKind.PRINCIPAL:
            text = f"{text} · {claim}" if text else claim
        origins[entry.id] = Origin(text, payment, user)
    return origins


@dataclass(frozen=True)
class PaymentFilters:
    date_from: date | None = None
    date_to: date | None = None
    client_id: int | None = None  # staff only
    channel: str = ""
    credits_only: bool = False


@dataclass(frozen=True)
class PaymentsPage:
    payments: list[Payment]
    total: int
    page: int
    pages: int
    amount_cents: int  # sum over every payment matching the filters, reversed ones excluded


def payments_page(user, filters: PaymentFilters, *, page: int = 1) -> PaymentsPage:
    """Return the payments the user may see, filtered, newest recorded first (the day they are recorded)."""
    query = scoped(Payment, user)
    if filters.date_from:
        query = query.where(Payment.received_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Payment.received_on <= filters.date_to)
    if filters.client_id:
        query = query.where(Payment.client_id == filters.client_id)
    if filters.channel:
        query = query.where(Payment.channel == filters.channel)
    if filters.credits_only:
        query = query.where(Payment.credit_cents > 0, Payment.reversed_on.is_(None))
    counted = query.with_only_columns(
        sa.func.count(), sa.func.coalesce(sa.func.sum(
            sa.case((Payment.reversed_on.is_(None), Payment.amount_cents), else_=0)), 0)
    ).order_by(None)
    total, amount = db.session.execute(counted).one()
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.options(sa.orm.joinedload(Payment.case))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return PaymentsPage(list(rows), total, page, pages, int(amount))

