"""The figures of the clients' monthly reports, computed for many clients at once.

The daily job produces one report per client and month. Read client by client, each report would scan the
ledger and the action history again (seconds each at a million cases); here each family of figures is one
grouped query for every client of the batch, split by client afterwards.

Figures that the dashboard shows (cases placed, recovery rate, liquidation curves) come from
reports.dashboard, and the aged balance from reports.aged, so that the report, the screen and the exports
agree. The month's movements (money collected, cases closed, contacts, promises) are flows of the month
read from the ledger and the action history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from agency.db import db, sum_cents
from agency.models import Client, Mandate
from cases.models import Action, ActionKind, Case, CaseStatus, LedgerEntry, Promise, PromiseStatus
from debtors.models import Debtor, Hold, HoldKind
from money.models import Payment, PaymentChannel
from reports.aged import BUCKETS, aged_balance
from reports.dashboard import dashboard
from reports.figures import CONVERSATIONS, collected_clause, done_contacts, entry_kind
from reports.filters import Filters
from reports.models import MonthlyReport

# The liquidation curves cover the placement months of the last year, the report's month included.
CURVE_MONTHS = 12


def first_of(day: date) -> date:
    """Return the first day of the month of `day`."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    """Return the last day of the month starting on `month`."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous_month(day: date) -> date:
    """Return the first day of the month before the one of `day`."""
    return first_of(first_of(day) - timedelta(days=1))


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _utc_bounds(month: date) -> tuple[datetime, datetime]:
    """Return the month's start and the next month's start, in agency time, as aware datetimes."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start = datetime.combine(month, time(0), zone)
    end = datetime.combine(month_end(month) + timedelta(days=1), time(0), zone)
    return start, end


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def monthly_figures(client: Client, month: date) -> dict:
    """Return every figure of the client's report for the month starting on `month`, as plain JSON values."""
    return clients_figures([client.id], month)[client.id]


def clients_figures(client_ids: Collection[int], month: date) -> dict[int, dict]:
    """Return every figure of each client's report for the month starting on `month`, by client id."""
    last = month_end(month)
    ids = sorted(set(client_ids))
    clients = db.session.scalars(sa.select(Client).where(Client.id.in_(ids))).all()
    aged = {row.client_id: row for row in aged_balance(last, ids).rows}
    payments = month_payments(ids, month)
    closed = _closed(ids, month)
    disputes = _open_disputes(ids, month)
    contacts = _contacts(ids, month)
    return {client.id: _client_figures(client, month, aged.get(client.id), payments.get(client.id, []),
                                       closed.get(client.id, {"paid": 0, "unpaid": 0}), disputes.get(client.id, 0),
                                       contacts.get(client.id, dict.fromkeys(CONTACT_FIGURES, 0)))
            for client in clients}


def _client_figures(client: Client, month: date, aged, payments: list[dict], closed: dict, disputes: int,
                    contacts: dict) -> dict:
    last = month_end(month)
    # The dashboard's figures are read from its pre-computed groups: a few milliseconds each.
    placed = dashboard(Filters(month, last, client_id=client.id), last)
    year = dashboard(Filters(date(month.year, 1, 1), last, client_id=client.id), last)
    curves = dashboard(Filters(_months_back(month, CURVE_MONTHS - 1), last, client_id=client.id), last).curves
    trust = sum(p["cents"] for p in payments if p["channel"] == PaymentChannel.TRUST.value)
    direct = sum(p["cents"] for p in payments if p["channel"] == PaymentChannel.DIRECT.value)
    return {
        "client": {"id": client.id, "name": client.name, "code": client.code},
        "month": month.isoformat(),
        "month_end": last.isoformat(),
        "placed": {"cases": placed.counts.opened, "cents": placed.money.placed},
        "collected": {"trust": trust, "direct": direct, "total": trust + direct},
        "recovery": {
            "from": date(month.year, 1, 1).isoformat(), "to": last.isoformat(),
            "placed": year.money.placed, "collected": year.money.collected,
            "rate": _percent(year.money.recovery_rate),
            "refreshed_at": year.refreshed.refreshed_at.isoformat() if year.refreshed else None,
        },
        "closed": closed,
        "disputes": disputes,
        "aged": {
            "buckets": {b.key: {"cents": aged.cells[b.key].cents if aged else 0,
                                "cases": aged.cells[b.key].cases if aged else 0} for b in BUCKETS},
            "total": {"cents": aged.total.cents if aged else 0, "cases": aged.total.cases if aged else 0},
        },
        "curves": [{"month": c.month.isoformat(), "placed": c.placed, "collected": c.collected,
                    "points": [_percent(p) for p in c.points]} for c in curves],
        "contacts": contacts,
        "payments": payments,
    }


# Columns of a debtor's name (Debtor.name_of): a month's payments are thousands, not worth loading each debtor.
NAME_COLUMNS = (Debtor.kind, Debtor.company_name, Debtor.title, Debtor.first_name, Debtor.last_name)


def month_payments(client_ids: Collection[int], month: date) -> dict[int, list[dict]]:
    """Return each client's payments of the month from the ledger, reversals as negative lines, by date.

    Overpayments held for the debtor are left out, as in the dashboard's "collected", so that the lines
    add up to the month's collected total.
    """
    kind, reversed_entry = entry_kind()
    is_reversal = LedgerEntry.reverses_id.is_not(None)
    rows = db.session.execute(
        sa.select(Case.client_id, Payment.reference, Payment.channel, Case.reference, *NAME_COLUMNS,
                  LedgerEntry.effective_on, is_reversal, sum_cents(LedgerEntry.amount_cents))
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .join(Case, Case.id == LedgerEntry.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
        .where(LedgerEntry.client_id.in_(client_ids), collected_clause(kind),
               LedgerEntry.effective_on >= month, LedgerEntry.effective_on <= month_end(month))
        .group_by(Case.client_id, Payment.id, Payment.reference, Payment.channel, Case.reference, *NAME_COLUMNS,
                  LedgerEntry.effective_on, is_reversal)
        .order_by(Case.client_id, LedgerEntry.effective_on, Case.reference, Payment.reference, is_reversal)
    ).all()
    by_client: dict[int, list[dict]] = defaultdict(list)
    for client_id, receipt, channel, case_ref, *name, on, reversal, cents in rows:
        if cents:
            by_client[client_id].append({"receipt": receipt, "channel": channel, "case": case_ref,
                                         "debtor": Debtor.name_of(*name), "date": on.isoformat(),
                                         "reversal": bool(reversal), "cents": -int(cents)})
    return by_client


def _closed(client_ids: Collection[int], month: date) -> dict[int, dict]:
    """Return each client's cases closed in the month: paid in full, and closed unpaid."""
    keys = {CaseStatus.PAID.value: "paid", CaseStatus.CLOSED.value: "unpaid"}
    closed: dict[int, dict] = defaultdict(lambda: {"paid": 0, "unpaid": 0})
    for client_id, status, count in db.session.execute(
        sa.select(Case.client_id, Case.status, sa.func.count())
        .where(Case.client_id.in_(client_ids), Case.status.in_(keys), Case.closed_on >= month,
               Case.closed_on <= month_end(month))
        .group_by(Case.client_id, Case.status)
    ):
        closed[client_id][keys[status]] = int(count)
    return closed


def _open_disputes(client_ids: Collection[int], month: date) -> dict[int, int]:
    """Return how many of each client's cases had a dispute open at the end of the month."""
    _start, end = _utc_bounds(month)
    return {client_id: int(count) for client_id, count in db.session.execute(
        sa.select(Case.client_id, sa.func.count(sa.distinct(Hold.case_id))).join(Case, Case.id == Hold.case_id)
        .where(Case.client_id.in_(client_ids), Hold.kind == HoldKind.DISPUTE.value, Hold.started_at < end,
               sa.or_(Hold.ended_at.is_(None), Hold.ended_at >= end))
        .group_by(Case.client_id)
    )}


CONTACT_FIGURES = ("attempts", "calls", "right_party", "promises", "promised_cents", "due", "kept")


def _contacts(client_ids: Collection[int], month: date) -> dict[int, dict]:
    """Return each client's contact attempts, calls, conversations, promises made and kept in the month."""
    start, end = _utc_bounds(month)
    figures: dict[int, dict] = defaultdict(lambda: dict.fromkeys(CONTACT_FIGURES, 0))
    is_call = Action.kind == ActionKind.CALL.value
    for client_id, attempts, calls, right_party in db.session.execute(
        sa.select(
            Case.client_id, sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((is_call, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(is_call, Action.outcome.in_(CONVERSATIONS)), 1), else_=0)), 0),
        ).join(Case, Case.id == Action.case_id)
        .where(Case.client_id.in_(client_ids), done_contacts(), Action.done_at >= start, Action.done_at < end)
        .group_by(Case.client_id)
    ):
        figures[client_id].update(attempts=int(attempts), calls=int(calls), right_party=int(right_party))
    for client_id, promises, promised in db.session.execute(
        sa.select(Case.client_id, sa.func.count(), sum_cents(Promise.amount_cents)).join(Case, Case.id == Promise.case_id)
        .where(Case.client_id.in_(client_ids), Promise.created_at >= start, Promise.created_at < end)
        .group_by(Case.client_id)
    ):
        figures[client_id].update(promises=int(promises), promised_cents=int(promised))
    for client_id, due, kept in db.session.execute(
        sa.select(Case.client_id, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((Promise.status == PromiseStatus.KEPT.value, 1), else_=0)), 0))
        .join(Case, Case.id == Promise.case_id)
        .where(Case.client_id.in_(client_ids), Promise.due_on >= month, Promise.due_on <= month_end(month))
        .group_by(Case.client_id)
    ):
        figures[client_id].update(due=int(due), kept=int(kept))
    return figures


def clients_due(month: date) -> list[int]:
    """Return the clients owed a report for the month: a mandate in force in it or a case by its end, none yet."""
    last = month_end(month)
    has_mandate = sa.exists().where(Mandate.client_id == Client.id, Mandate.starts_on <= last,
                                    sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= month))
    has_case = sa.exists().where(Case.client_id == Client.id, Case.opened_on <= last)
    done = sa.exists().where(MonthlyReport.client_id == Client.id, MonthlyReport.month == month)
    return list(db.session.scalars(
        sa.select(Client.id).where(sa.or_(has_mandate, has_case), ~done).order_by(Client.id)))
