"""Remittance statements: what the agency owes each client for a period, built set-based, and their payment.

A run takes, for each client, every money movement not yet remitted up to the period's end: payments
(by the day received; what was overpaid is the debtor's credit, not the client's money), reversals (by
the day reversed: a negative line, commission included), the mandate's fixed fee per case, charged
once with the case's first remitted payment, and the fee of each recall that took effect by the period's
end (by its effective day; a recall whose notice still runs is not charged yet). A fee is a line of
amount 0 whose commission and VAT lower the net. The card provider's fee on a payment made online, where the
mandate puts it on the client, is a negative trust movement of the payment's day, in the first statement run
once the fee is known (the provider tells it after the payment). The unique indexes of `remittance_line` make each
movement appear in one statement only, so a rerun adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.db import db
from agency.models import Client, Mandate, RemittanceFrequency, User
from money.models import LineKind, PaymentChannel, Remittance, RemittanceLine, RemittanceStatus


class RemittanceError(ValueError):
    """A statement operation was refused; `field` names the form field at fault."""

    def __init__(self, field: str, message) -> None:
        super().__init__(str(message))
        self.field = field


# Movements not yet in any statement, per client: the first date of each and whether there is any.
_PENDING = sa.text("""
    SELECT client_id, MIN(occurred_on) AS first_on FROM (
        SELECT p.client_id, p.received_on AS occurred_on FROM payment p
         WHERE p.received_on <= :end
           AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'payment')
        UNION ALL
        SELECT p.client_id, p.reversed_on FROM payment p
         WHERE p.reversed_on IS NOT NULL AND p.reversed_on <= :end AND p.received_on <= :end
           AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'reversal')
        UNION ALL
        SELECT c.client_id, c.effective_on FROM case_recall c
         WHERE c.status = 'closed' AND c.effective_on <= :end AND c.fee_cents > 0
           AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.recall_id = c.id)
        UNION ALL
        SELECT p.client_id, p.received_on FROM online_checkout k JOIN payment p ON p.id = k.payment_id
         WHERE k.fee_borne_by = 'client' AND k.fee_cents > 0 AND p.received_on <= :end
           AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'card_fee')
    ) movements GROUP BY client_id
""")

# The sort reads every candidate before the first line is written, so the NOT EXISTS never scans lines
# this very statement is adding (when the table looks empty, PostgreSQL would otherwise re-scan it per
# row); in payment order, the foreign-key checks walk the payment index in order instead of at random.
_INSERT_PAYMENTS = sa.text("""
    INSERT INTO remittance_line (remittance_id, case_id, payment_id, kind, channel, occurred_on,
                                 amount_cents, commission_cents, vat_cents)
    SELECT r.id, p.case_id, p.id, 'payment', p.channel, p.received_on,
           p.amount_cents - p.credit_cents, p.commission_cents, p.commission_vat_cents
      FROM payment p JOIN remittance r ON r.client_id = p.client_id
     WHERE r.id IN :ids AND p.received_on <= :end
       AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'payment')
     ORDER BY p.id
""").bindparams(sa.bindparam("ids", expanding=True))

# A payment reversed before it was remitted comes in with its reversal: the statement shows both.
_INSERT_REVERSALS = sa.text("""
    INSERT INTO remittance_line (remittance_id, case_id, payment_id, kind, channel, occurred_on,
                                 amount_cents, commission_cents, vat_cents)
    SELECT r.id, p.case_id, p.id, 'reversal', p.channel, p.reversed_on,
           p.credit_cents - p.amount_cents, -p.commission_cents, -p.commission_vat_cents
      FROM payment p JOIN remittance r ON r.client_id = p.client_id
     WHERE r.id IN :ids AND p.reversed_on IS NOT NULL AND p.reversed_on <= :end AND p.received_on <= :end
       AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'reversal')
     ORDER BY p.id
""").bindparams(sa.bindparam("ids", expanding=True))

# VAT on the fee rounded half up in integers: the fee and the rate are never negative.
_INSERT_FIXED_FEES = sa.text("""
    INSERT INTO remittance_line (remittance_id, case_id, payment_id, kind, channel, occurred_on,
                                 amount_cents, commission_cents, vat_cents)
    SELECT l.remittance_id, l.case_id, NULL, 'fixed_fee', 'trust', MIN(l.occurred_on),
           0, m.fixed_fee_cents, (m.fixed_fee_cents * m.vat_bp + 5000) / 10000
      FROM remittance_line l
      JOIN remittance r ON r.id = l.remittance_id
      JOIN mandate m ON m.id = r.mandate_id
     WHERE l.remittance_id IN :ids AND l.kind = 'payment' AND m.fixed_fee_cents > 0
       AND NOT EXISTS (SELECT 1 FROM remittance_line f WHERE f.case_id = l.case_id AND f.kind = 'fixed_fee')
     GROUP BY l.remittance_id, l.case_id, m.fixed_fee_cents, m.vat_bp
""").bindparams(sa.bindparam("ids", expanding=True))


# The fee of a recall that took effect (status `closed`) by the period's end, with the VAT the recall
# recorded from the mandate. The fee is owed for a recall carried out: one whose notice still runs (or
# whose closing the daily job has not yet made) is charged by the first statement run after it took effect.
_INSERT_RECALL_FEES = sa.text("""
    INSERT INTO remittance_line (remittance_id, case_id, payment_id, recall_id, kind, channel, occurred_on,
                                 amount_cents, commission_cents, vat_cents)
    SELECT r.id, c.case_id, NULL, c.id, 'recall_fee', 'trust', c.effective_on,
           0, c.fee_cents, c.fee_vat_cents
      FROM case_recall c JOIN remittance r ON r.client_id = c.client_id
     WHERE r.id IN :ids AND c.status = 'closed' AND c.effective_on <= :end AND c.fee_cents > 0
       AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.recall_id = c.id)
     ORDER BY c.id
""").bindparams(sa.bindparam("ids", expanding=True))


# The card provider's fee the client bears: what reached the trust account is the payment less this fee.
_INSERT_CARD_FEES = sa.text("""
    INSERT INTO remittance_line (remittance_id, case_id, payment_id, kind, channel, occurred_on,
                                 amount_cents, commission_cents, vat_cents)
    SELECT r.id, p.case_id, p.id, 'card_fee', p.channel, p.received_on, -k.fee_cents, 0, 0
      FROM online_checkout k JOIN payment p ON p.id = k.payment_id JOIN remittance r ON r.client_id = p.client_id
     WHERE r.id IN :ids AND k.fee_borne_by = 'client' AND k.fee_cents > 0 AND p.received_on <= :end
       AND NOT EXISTS (SELECT 1 FROM remittance_line l WHERE l.payment_id = p.id AND l.kind = 'card_fee')
     ORDER BY p.id
""").bindparams(sa.bindparam("ids", expanding=True))


def run_remittances(period_end: date, client_ids: list[int] | None = None, *, actor: User | None = None
                    ) -> list[Remittance]:
    """Issue one statement per client with movements not yet remitted up to `period_end`; return them.

    A client whose last statement already ends on or after `period_end` is left alone: movements it
    still has for earlier days go into its next statement. Not committed.
    """
    pending = db.session.execute(_PENDING, {"end": period_end}).all()
    first_on = {row.client_id: _as_date(row.first_on) for row in pending}
    if client_ids is not None:
        wanted = set(client_ids)
        first_on = {cid: day for cid, day in first_on.items() if cid in wanted}
    if not first_on:
        return []
    last_end = dict(db.session.execute(
        sa.select(Remittance.client_id, sa.func.max(Remittance.period_end))
        .where(Remittance.client_id.in_(first_on)).group_by(Remittance.client_id)
    ).all())
    clients = db.session.scalars(sa.select(Client).where(Client.id.in_(first_on)).order_by(Client.id)).all()
    statements = []
    for client in clients:
        previous = last_end.get(client.id)
        if previous is not None and previous >= period_end:
            continue
        start = previous + timedelta(days=1) if previous is not None else min(first_on[client.id], period_end)
        mandate = _mandate_on(client, period_end)
        statements.append(Remittance(
            client_id=client.id, mandate_id=mandate.id if mandate else None,
            reference=f"RV-{period_end:%Y%m%d}-{client.id:05d}", period_start=start, period_end=period_end,
            status=RemittanceStatus.ISSUED.value, currency="EUR", created_by_id=actor.id if actor else None,
        ))
    if not statements:
        return []
    db.session.add_all(statements)
    db.session.flush()
    ids = [s.id for s in statements]
    params = {"ids": ids, "end": period_end}
    db.session.execute(_INSERT_PAYMENTS, params)
    db.session.execute(_INSERT_REVERSALS, params)
    db.session.execute(_INSERT_FIXED_FEES, params)
    db.session.execute(_INSERT_RECALL_FEES, params)
    db.session.execute(_INSERT_CARD_FEES, params)
    _set_totals(statements)
    for remittance in statements:
        audit.record("remittance.issued", actor=actor, subject=remittance, after=_summary(remittance))
    return statements


def _set_totals(statements: list[Remittance]) -> None:
    """Fix each statement's totals as the sums of its lines (one grouped query for the whole run)."""
    line = RemittanceLine
    trust = line.channel == PaymentChannel.TRUST.value
    movement = line.kind.not_in((LineKind.FIXED_FEE.value, LineKind.RECALL_FEE.value))  # fees collect nothing
    rows = db.session.execute(
        sa.select(
            line.remittance_id,
            sa.func.coalesce(sa.func.sum(sa.case((trust & movement, line.amount_cents), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((~trust & movement, line.amount_cents), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(line.commission_cents), 0),
            sa.func.coalesce(sa.func.sum(line.vat_cents), 0),
        ).where(line.remittance_id.in_([s.id for s in statements])).group_by(line.remittance_id)
    ).all()
    totals = {row[0]: tuple(int(v) for v in row[1:]) for row in rows}
    for remittance in statements:
        trust_cents, direct_cents, commission, vat = totals.get(remittance.id, (0, 0, 0, 0))
        remittance.trust_collected_cents = trust_cents
        remittance.direct_collected_cents = direct_cents
        remittance.commission_cents = commission
        remittance.vat_cents = vat
        remittance.net_cents = trust_cents - commission - vat
    db.session.flush()


def _summary(remittance: Remittance) -> dict:
    return {
        "reference": remittance.reference, "period_start": remittance.period_start,
        "period_end": remittance.period_end, "trust_collected_cents": remittance.trust_collected_cents,
        "direct_collected_cents": remittance.direct_collected_cents,
        "commission_cents": remittance.commission_cents, "vat_cents": remittance.vat_cents,
        "net_cents": remittance.net_cents,
    }


def _mandate_on(client: Client, day: date) -> Mandate | None:
    """Return the mandate in force on `day`, else the latest one started before it (the terms last agreed)."""
    active = client.active_mandate(day)
    if active is not None:
        return active
    started = [m for m in client.mandates if m.starts_on <= day]
    return started[-1] if started else None


def _as_date(value) -> date:
    # SQLite hands back the MIN() of a date column as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def mark_paid(remittance: Remittance, *, paid_on: date | None, reference: str, actor: User) -> None:
    """Record the transfer of a statement's net amount to the client (once). Not committed."""
    # Two managers marking it at once: the second waits here, then finds it paid.
    db.session.flush()
    db.session.refresh(remittance, with_for_update=True)
    if remittance.status == RemittanceStatus.PAID:
        raise RemittanceError("paid_on", _l("Statement %(reference)s is already marked paid.",
                                            reference=remittance.reference))
    if paid_on is None:
        raise RemittanceError("paid_on", _l("Give the date of the transfer."))
    if paid_on < remittance.period_end:
        raise RemittanceError("paid_on", _l("The transfer cannot be dated before the end of the period (%(date)s).",
                                            date=remittance.period_end.isoformat()))
    reference = (reference or "").strip()
    if not reference:
        raise RemittanceError("reference", _l("Give the bank reference of the transfer."))
    if len(reference) > 100:
        raise RemittanceError("reference", _l("At most 100 characters."))
    before, after = audit.changes(remittance, status=RemittanceStatus.PAID.value, paid_on=paid_on,
                                  paid_reference=reference, paid_by_id=actor.id if actor else None)
    after["net_cents"] = remittance.net_cents
    audit.record("remittance.paid", actor=actor, subject=remittance, before=before, after=after)


def latest_period_end(frequency: str, today: date) -> date:
    """Return the end of the latest period of `frequency` that is over on `today`.

    Monthly: the last day of the previous month (issued on the 1st); weekly: the previous Sunday
    (issued on Mondays); fortnightly: the 15th (issued on the 16th) or the last day of the previous month.
    """
    month_end = today.replace(day=1) - timedelta(days=1)
    if frequency == RemittanceFrequency.WEEKLY:
        return today - timedelta(days=today.weekday() + 1)
    if frequency == RemittanceFrequency.FORTNIGHTLY and today.day >= 16:
        return today.replace(day=15)
    return month_end


def scheduled_runs(today: date) -> dict[date, list[int]]:
    """Return, per period end now over, the clients whose mandate's schedule calls for a statement."""
    runs: dict[date, list[int]] = {}
    clients = db.session.scalars(sa.select(Client).order_by(Client.id)).all()
    for client in clients:
        mandate = _mandate_on(client, today - timedelta(days=1))
        frequency = mandate.remittance_frequency if mandate else RemittanceFrequency.MONTHLY.value
        runs.setdefault(latest_period_end(frequency, today), []).append(client.id)
    return runs
