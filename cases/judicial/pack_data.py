"""What the judicial file says, computed once for its three parts so that they cannot disagree.

The amounts claimed are those of the statement of account on the filing date: the ledger up to that day,
plus the interest accrued to it and the €40 indemnities claimed that are not posted yet — the interest
as `cases.interest.rules.explain` makes it up for the case screen, period by period with its rate.
The exhibits (pièces) are numbered once; the request cites the numbers the bordereau lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency.db import db
from agency.models import AgencyProfile, Client
from agency.money import format_money
from cases.interest import labels as interest_labels
from cases.interest.rules import INDEMNITY_CENTS, ClaimInterest, explain, mandate_for
from cases.judicial.documents import BASIS_KINDS, KINDS
from cases.letters.documents import postal_address
from cases.models import (
    SENT_STATUSES,
    Case,
    Claim,
    EntryKind,
    LedgerEntry,
    Letter,
    LetterKind,
    Proceeding,
    Promise,
)
from debtors.models import ContactPoint, Debtor

# Plans belong to `money`, a higher package: read by the table's name, never imported.
PAYMENT_PLAN = sa.table("payment_plan", sa.column("case_id"), sa.column("reference"), sa.column("status"),
                        sa.column("starts_on"), sa.column("total_cents"))
AGREED_PLAN_STATUSES = ("active", "completed", "broken")  # the debtor agreed to each of them
ACKNOWLEDGING_PROMISES = ("pending", "kept", "partly_kept", "broken")
ENTRY_LABELS = {EntryKind.CREDIT_NOTE: _l("Credit note"), EntryKind.WRITE_OFF: _l("Write-off"),
                EntryKind.COST: _l("Ancillary costs")}


@dataclass(frozen=True)
class Exhibit:
    number: int
    title: str | LazyString
    on: date | None = None
    detail: str | LazyString = ""


@dataclass(frozen=True)
class Invoice:
    """One invoice claimed: its principal, its interest as explained, its indemnity, the exhibit proving it."""

    claim: Claim
    interest: ClaimInterest
    indemnity_cents: int
    exhibit: int

    @property
    def interest_from(self) -> date | None:
        return self.interest.periods[0].start if self.interest.periods else None

    @property
    def no_interest_reason(self) -> LazyString | str:
        return interest_labels.NO_INTEREST.get(self.interest.reason, "") if self.interest.reason else ""


@dataclass(frozen=True)
class Movement:
    """A credit to the debtor (payment net of its reversal, credit note, write-off) up to the filing date."""

    on: date
    label: LazyString | str
    cents: int  # positive: what it deducts


@dataclass(frozen=True)
class Line:
    """A line of the statement of account, with the running balance after it."""

    on: date
    label: LazyString | str
    debit: int
    credit: int
    balance: int


@dataclass
class PackData:
    proceeding: Proceeding
    case: Case
    client: Client
    debtor: Debtor
    address: ContactPoint | None
    agency: AgencyProfile
    on: date
    rate_basis: LazyString | str
    invoices: list[Invoice] = field(default_factory=list)
    costs: list[Movement] = field(default_factory=list)  # ancillary costs in the ledger (under a title)
    credits: list[Movement] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    exhibits: list[Exhibit] = field(default_factory=list)
    notice_exhibits: list[int] = field(default_factory=list)

    @property
    def principal_cents(self) -> int:
        return sum(i.claim.amount_cents for i in self.invoices)

    @property
    def interest_cents(self) -> int:
        return sum(i.interest.total_cents for i in self.invoices)

    @property
    def indemnity_cents(self) -> int:
        return sum(i.indemnity_cents for i in self.invoices)

    @property
    def costs_cents(self) -> int:
        return sum(c.cents for c in self.costs)

    @property
    def credits_cents(self) -> int:
        return sum(c.cents for c in self.credits)

    @property
    def total_cents(self) -> int:
        return self.principal_cents + self.interest_cents + self.indemnity_cents + self.costs_cents - self.credits_cents

    @property
    def b2b(self) -> bool:
        return self.case.kind == "b2b"


def pack_data(proceeding: Proceeding, agency: AgencyProfile, on: date) -> PackData:
    """Gather every figure and exhibit of the proceeding's file as of the filing date `on`."""
    case = proceeding.case
    entries = [e for e in sorted(case.ledger_entries, key=lambda e: (e.effective_on, e.id)) if e.effective_on <= on]
    data = PackData(proceeding, case, case.client, case.debtor, postal_address(case.debtor), agency, on,
                    _rate_basis(case, on))
    uploaded = sorted(proceeding.documents, key=lambda d: (d.kind not in BASIS_KINDS, d.id))
    basis = [d for d in uploaded if d.kind in BASIS_KINDS]
    for document in basis:
        _exhibit(data, f"{KINDS[document.kind]} : {document.title}", document.created_at)
    explained = {c.claim_id: c for c in explain(case, on)}
    posted_indemnity = _sums(entries, EntryKind.INDEMNITY)
    for claim in sorted(case.claims, key=lambda c: (c.issue_date, c.invoice_number)):
        number = _exhibit(data, _l("Invoice no. %(number)s", number=claim.invoice_number), claim.issue_date,
                          _l("%(amount)s, due on %(date)s", amount=_money(claim.amount_cents, claim.currency),
                             date=_day(claim.due_date))).number
        interest = explained[claim.id]
        indemnity = INDEMNITY_CENTS if interest.indemnity else posted_indemnity.get(claim.id, 0)
        data.invoices.append(Invoice(claim, interest, indemnity, number))
    for notice in _formal_notices(case, on):
        sent = notice.sent_at.date() if notice.sent_at else notice.issued_on
        data.notice_exhibits.append(_exhibit(data, _l("Formal notice %(reference)s", reference=notice.reference),
                                             notice.issued_on, _l("sent on %(date)s", date=_day(sent))).number)
    _acknowledgements(data, entries)
    for document in uploaded[len(basis):]:
        _exhibit(data, f"{KINDS.get(document.kind, document.kind)} : {document.title}", document.created_at)
    data.costs = [Movement(e.effective_on, e.description or ENTRY_LABELS[EntryKind.COST], e.amount_cents)
                  for e in entries if e.kind == EntryKind.COST]
    data.credits = _credits(entries)
    data.lines = _statement(data, entries)
    return data


def _exhibit(data: PackData, title, on: date | datetime | None, detail="") -> Exhibit:
    exhibit = Exhibit(len(data.exhibits) + 1, title, on.date() if isinstance(on, datetime) else on, detail)
    data.exhibits.append(exhibit)
    return exhibit


def _day(on: date) -> str:
    return on.strftime("%d/%m/%Y")


def _rate_basis(case: Case, on: date) -> LazyString:
    mandate = mandate_for(case.client, on)
    if case.kind != "b2b":
        return _l("legal interest rate (art. 1231-6 of the Civil Code), from the day after the formal notice")
    if mandate is not None and mandate.contractual_rate_bp:
        return _l("contractual rate, at least three times the legal rate (art. L441-10 of the Commercial Code), "
                  "from the day after the due date")
    return _l("ECB refinancing rate + 10 points, per half-year (art. L441-10 of the Commercial Code), "
              "from the day after the due date")


def _formal_notices(case: Case, on: date) -> list[Letter]:
    return list(db.session.scalars(
        sa.select(Letter).where(Letter.case_id == case.id, Letter.kind == LetterKind.FORMAL_NOTICE.value,
                                Letter.status.in_(SENT_STATUSES), Letter.issued_on <= on)
        .order_by(Letter.issued_on, Letter.id)
    ))


def _acknowledgements(data: PackData, entries: list[LedgerEntry]) -> None:
    """The debtor's acknowledgements of the debt: promises, agreed plans, partial payments."""
    currency = data.case.currency
    promises = db.session.scalars(sa.select(Promise).where(
        Promise.case_id == data.case.id, Promise.status.in_(ACKNOWLEDGING_PROMISES)).order_by(Promise.created_at))
    for promise in promises:
        _exhibit(data, _l("Promise to pay"), promise.created_at,
                 _l("%(amount)s by %(date)s", amount=_money(promise.amount_cents, currency), date=_day(promise.due_on)))
    plans = db.session.execute(
        sa.select(PAYMENT_PLAN.c.reference, PAYMENT_PLAN.c.starts_on, PAYMENT_PLAN.c.total_cents)
        .where(PAYMENT_PLAN.c.case_id == data.case.id, PAYMENT_PLAN.c.status.in_(AGREED_PLAN_STATUSES))
        .order_by(PAYMENT_PLAN.c.starts_on))
    for reference, starts_on, total in plans:
        starts = starts_on if isinstance(starts_on, date) else date.fromisoformat(str(starts_on))
        _exhibit(data, _l("Payment plan %(reference)s agreed", reference=reference), starts,
                 _l("total %(amount)s", amount=_money(total, currency)))
    for on, cents in _payments(entries):
        _exhibit(data, _l("Partial payment received"), on, _money(cents, currency))


def _money(cents: int, currency: str) -> str:
    return format_money(cents, currency)


def _payments(entries: list[LedgerEntry]) -> list[tuple[date, int]]:
    """Each payment, net of its reversal, as (day received, cents deducted); fully reversed ones left out."""
    by_id = {e.id: e for e in entries}
    net: dict[int, int] = defaultdict(int)
    day: dict[int, date] = {}
    for entry in entries:
        undone = by_id.get(entry.reverses_id) if entry.reverses_id else None
        payment_id = entry.payment_id or (undone.payment_id if undone else None)
        if payment_id is None or (undone or entry).kind != EntryKind.PAYMENT:
            continue
        net[payment_id] -= entry.amount_cents
        day.setdefault(payment_id, entry.effective_on)
    return [(day[p], cents) for p, cents in net.items() if cents > 0]


def _credits(entries: list[LedgerEntry]) -> list[Movement]:
    credits = [Movement(on, _l("Payment received"), cents) for on, cents in _payments(entries)]
    credits += [Movement(e.effective_on, e.description or ENTRY_LABELS[EntryKind(e.kind)], -e.amount_cents)
                for e in entries if e.kind in (EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF)]
    return sorted(credits, key=lambda m: m.on)


def _sums(entries: list[LedgerEntry], kind: EntryKind) -> dict[int, int]:
    sums: dict[int, int] = defaultdict(int)
    for entry in entries:
        if entry.kind == kind and entry.claim_id is not None:
            sums[entry.claim_id] += entry.amount_cents
    return sums


def _statement(data: PackData, entries: list[LedgerEntry]) -> list[Line]:
    """Every ledger entry to the filing date, then what is accrued to it and not posted, with the balance."""
    numbers = {c.id: c.invoice_number for c in data.case.claims}
    by_id = {e.id: e for e in entries}
    rows: list[tuple[date, LazyString | str, int]] = []
    seen_payments: dict[tuple[int, str], int] = {}
    for entry in entries:
        if entry.payment_id is not None:  # one line per payment (or reversal), not per part it settles
            key = (entry.payment_id, entry.kind)
            if key in seen_payments:
                on, label, cents = rows[seen_payments[key]]
                rows[seen_payments[key]] = (on, label, cents + entry.amount_cents)
                continue
            seen_payments[key] = len(rows)
        rows.append((entry.effective_on, _entry_label(entry, numbers, by_id), entry.amount_cents))
    posted_interest = sum(e.amount_cents for e in entries if e.kind == EntryKind.INTEREST)
    if unposted := data.interest_cents - posted_interest:
        rows.append((data.on, _l("Late-payment interest accrued to %(date)s, not yet posted", date=_day(data.on)),
                     unposted))
    posted_indemnity = sum(e.amount_cents for e in entries if e.kind == EntryKind.INDEMNITY)
    if unposted := data.indemnity_cents - posted_indemnity:
        rows.append((data.on, _l("Fixed recovery indemnities claimed, not yet posted"), unposted))
    lines, balance = [], 0
    for on, label, cents in rows:
        balance += cents
        lines.append(Line(on, label, max(cents, 0), max(-cents, 0), balance))
    return lines


def _entry_label(entry: LedgerEntry, numbers: dict[int, str], by_id: dict[int, LedgerEntry]) -> LazyString | str:
    invoice = numbers.get(entry.claim_id or 0, "")
    kind = EntryKind(entry.kind)
    if kind == EntryKind.PRINCIPAL:
        return _l("Invoice %(number)s", number=invoice)
    if kind == EntryKind.INTEREST:
        through = _day(entry.accrued_through) if entry.accrued_through else _day(entry.effective_on)
        return _l("Late-payment interest, invoice %(number)s, to %(date)s", number=invoice, date=through)
    if kind == EntryKind.INDEMNITY:
        return _l("Fixed recovery indemnity, invoice %(number)s", number=invoice)
    if kind == EntryKind.PAYMENT:
        return _l("Payment received")
    if kind == EntryKind.REVERSAL:
        undone = by_id.get(entry.reverses_id or 0)
        return _l("Payment reversed") if undone is not None and undone.kind == EntryKind.PAYMENT else \
            _l("Correction of an entry")
    return entry.description or ENTRY_LABELS[kind]
