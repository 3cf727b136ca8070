"""The client trust account (R124-2, R124-6): what it holds at any moment, for whom, and for how long.

Money held = collected (trust payments net of reversals) − the card provider's fees statements put on clients
(kept by the provider, they never reached the account) − remitted (net of statements marked paid) − commission
earned (commission and VAT of statements marked paid). Since a statement's net is its
trust collected less its commission and VAT, what is held is exactly the trust money of movements not
yet in a statement, plus that of statements issued and not yet paid, plus what debtors overpaid (their
credit, never the client's): the page shows both sides, and a difference means a statement's totals no
longer match its lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from agency.db import db
from agency.models import Client
from cases.models import Case, LedgerEntry
from debtors.models import Debtor
from money.models import LineKind, Payment, PaymentChannel, Remittance, RemittanceLine, RemittanceStatus

DEFAULT_DELAY_DAYS = 30  # R124-6: within one month of encashment, unless the mandate says otherwise


@dataclass
class ClientHolding:
    client: Client
    unstated_cents: int = 0  # trust money of movements in no statement yet
    issued_cents: int = 0  # trust money of statements issued, not yet paid
    issued_net_cents: int = 0  # of which owed to the client (the rest is commission and VAT)
    credit_cents: int = 0  # overpaid by debtors: theirs, held until refunded, never remitted to the client

    @property
    def held_cents(self) -> int:
        return self.unstated_cents + self.issued_cents + self.credit_cents


@dataclass
class TrustPosition:
    collected_cents: int
    remitted_cents: int
    commission_earned_cents: int
    ledger_collected_cents: int  # the same money read from the ledger's payment entries
    card_fees_cents: int = 0  # the provider's fees on card payments that statements put on clients
    clients: list[ClientHolding] = field(default_factory=list)

    @property
    def held_cents(self) -> int:
        return self.collected_cents - self.card_fees_cents - self.remitted_cents - self.commission_earned_cents

    @property
    def breakdown_cents(self) -> int:
        return sum(c.held_cents for c in self.clients)

    @property
    def balanced(self) -> bool:
        return self.held_cents == self.breakdown_cents

    @property
    def ledger_matches(self) -> bool:
        return self.ledger_collected_cents == self.collected_cents


@dataclass(frozen=True)
class AgedFunds:
    client_id: int
    client_name: str
    case_id: int
    case_reference: str
    debtor_name: str
    payment_reference: str
    received_on: date
    amount_cents: int
    due_by: date  # the last day the mandate allows before the money goes back to the client
    statement_reference: str  # the unpaid statement it is in, if any


def _sum(query) -> int:
    return int(db.session.scalar(query) or 0)


def trust_position() -> TrustPosition:
    """Return the trust account's reconciliation now, broken down by client."""
    trust = Payment.channel == PaymentChannel.TRUST.value
    collected = _sum(sa.select(sa.func.sum(Payment.amount_cents)).where(trust, Payment.reversed_on.is_(None)))
    paid = Remittance.status == RemittanceStatus.PAID.value
    remitted = _sum(sa.select(sa.func.sum(Remittance.net_cents)).where(paid))
    earned = _sum(sa.select(sa.func.sum(Remittance.commission_cents + Remittance.vat_cents)).where(paid))
    # Payment entries are credits (negative); their reversals carry the same payment_id and cancel them.
    ledger = -_sum(
        sa.select(sa.func.sum(LedgerEntry.amount_cents))
        .join(Payment, Payment.id == LedgerEntry.payment_id).where(trust)
    )
    card_fees = -_sum(sa.select(sa.func.sum(RemittanceLine.amount_cents))
                      .where(RemittanceLine.kind == LineKind.CARD_FEE.value))
    position = TrustPosition(collected, remitted, earned, ledger, card_fees)
    position.clients = _holdings()
    return position


def _holdings() -> list[ClientHolding]:
    line = RemittanceLine
    trust = Payment.channel == PaymentChannel.TRUST.value
    for_client = Payment.amount_cents - Payment.credit_cents
    stated = sa.select(line.id).where(line.payment_id == Payment.id, line.kind == LineKind.PAYMENT.value).exists()
    stated_reversal = (
        sa.select(line.id).where(line.payment_id == Payment.id, line.kind == LineKind.REVERSAL.value).exists()
    )
    unstated = dict(db.session.execute(
        sa.select(Payment.client_id, sa.func.sum(for_client)).where(trust, ~stated).group_by(Payment.client_id)
    ).all())
    # Reversed and not yet in a statement as such: the money left the account, its negative line is to come.
    for client_id, cents in db.session.execute(
        sa.select(Payment.client_id, sa.func.sum(for_client))
        .where(trust, Payment.reversed_on.is_not(None), ~stated_reversal).group_by(Payment.client_id)
    ).all():
        unstated[client_id] = unstated.get(client_id, 0) - cents
    credits = dict(db.session.execute(
        sa.select(Payment.client_id, sa.func.sum(Payment.credit_cents))
        .where(trust, Payment.reversed_on.is_(None), Payment.credit_cents > 0).group_by(Payment.client_id)
    ).all())
    issued = {
        row.client_id: (int(row.trust), int(row.net))
        for row in db.session.execute(
            sa.select(Remittance.client_id, sa.func.sum(Remittance.trust_collected_cents).label("trust"),
                      sa.func.sum(Remittance.net_cents).label("net"))
            .where(Remittance.status == RemittanceStatus.ISSUED.value).group_by(Remittance.client_id)
        ).all()
    }
    ids = {cid for cid, cents in unstated.items() if cents} | set(issued) | set(credits)
    if not ids:
        return []
    clients = db.session.scalars(sa.select(Client).where(Client.id.in_(ids)).order_by(Client.name)).all()
    return [
        ClientHolding(c, int(unstated.get(c.id, 0)), *issued.get(c.id, (0, 0)), int(credits.get(c.id, 0)))
        for c in clients
    ]


def remittance_delays(today: date) -> dict[int, int]:
    """Return each client's remittance delay in days: its mandate in force, else the legal month."""
    delays = {}
    for client in db.session.scalars(sa.select(Client)).all():
        mandate = client.active_mandate(today) or (client.mandates[-1] if client.mandates else None)
        delays[client.id] = mandate.remittance_delay_days if mandate else DEFAULT_DELAY_DAYS
    return delays


def aged_funds(today: date, client_id: int | None = None) -> list[AgedFunds]:
    """List trust money received longer ago than the client's remittance delay and not yet remitted.

    Money counts as remitted once the statement holding it is marked paid; a reversed payment left
    the account and is not listed.
    """
    delays = remittance_delays(today)
    if client_id is not None:
        delays = {client_id: delays.get(client_id, DEFAULT_DELAY_DAYS)}
    if not delays:
        return []
    line, statement = RemittanceLine, Remittance
    remitted = (
        sa.select(line.id).join(statement, statement.id == line.remittance_id)
        .where(line.payment_id == Payment.id, line.kind == LineKind.PAYMENT.value,
               statement.status == RemittanceStatus.PAID.value)
        .exists()
    )
    in_statement = (
        sa.select(statement.reference).join(line, line.remittance_id == statement.id)
        .where(line.payment_id == Payment.id, line.kind == LineKind.PAYMENT.value)
        .scalar_subquery()
    )
    # One cut-off per client (its own delay); a handful of clients, so one OR branch each.
    late = sa.or_(*[
        sa.and_(Payment.client_id == cid, Payment.received_on < today - timedelta(days=days))
        for cid, days in delays.items()
    ])
    rows = db.session.execute(
        sa.select(Payment, Case.reference, Client.name, Debtor, in_statement)
        .join(Case, Case.id == Payment.case_id).join(Client, Client.id == Payment.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Payment.channel == PaymentChannel.TRUST.value, Payment.reversed_on.is_(None),
               Payment.amount_cents > Payment.credit_cents, ~remitted, late)
        .order_by(Client.name, Payment.received_on, Payment.id)
    ).all()
    return [
        AgedFunds(
            client_id=p.client_id, client_name=client_name, case_id=p.case_id, case_reference=case_ref,
            debtor_name=debtor.display_name, payment_reference=p.reference, received_on=p.received_on,
            amount_cents=p.amount_cents - p.credit_cents, due_by=p.received_on + timedelta(days=delays[p.client_id]),
            statement_reference=statement_ref or "",
        )
        for p, case_ref, client_name, debtor, statement_ref in rows
    ]
