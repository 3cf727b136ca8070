"""The alert rules: one set-based INSERT … SELECT per rule, so each occurrence fires once, whatever the volume.

Each rule fires only for rows whose condition holds when it runs; the unique (kind, subject) key makes a
second run, or two runs at once, add nothing. Open alerts whose condition has ended (funds remitted,
dispute resolved, payment reversed, import run again) are cleared: they leave the open list and stay
in the history. A broken promise is not cleared: it stays broken.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agency.clock import today as agency_today
from agency.db import UTCDateTime, db, utcnow
from alerts.models import Alert, AlertKind
from alerts.settings import get_settings
from cases.models import Case, Payment, Promise, PromiseStatus
from cases.placement.models import Placement, PlacementStatus
from cases.remittances.trust import aged_funds
from debtors.models import Hold, HoldKind

# A payment fires its alert if recorded within this window: enough for a job that missed a few runs,
# while a threshold lowered today does not flood the page with last year's payments.
LARGE_PAYMENT_WINDOW = timedelta(days=7)
COLUMNS = ("kind", "subject_id", "client_id", "case_id", "placement_id", "amount_cents", "currency",
           "fired_on", "fired_at")


def fire_alerts(today: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """Run every rule; return how many alerts each kind fired and how many open ones were cleared."""
    now = now or utcnow()
    today = today or agency_today()
    aged = aged_payment_ids(today)  # read once: both firing and clearing need it
    counts = {
        AlertKind.PROMISE_BROKEN.value: fire_broken_promises(today, now),
        AlertKind.FUNDS_AGED.value: fire_aged_funds(aged, today, now),
        AlertKind.DISPUTE_OPENED.value: fire_disputes(today, now),
        AlertKind.LARGE_PAYMENT.value: fire_large_payments(today, now),
        AlertKind.IMPORT_FAILED.value: fire_failed_imports(today, now),
    }
    counts["cleared"] = clear_ended(aged, now)
    return counts


def fire_broken_promises(today: date, now: datetime) -> int:
    """Fire for each instalment found broken today (the promise check settles them the day after their date)."""
    query = (
        sa.select(Promise.id, Case.client_id, Promise.case_id, sa.null(), Promise.amount_cents, Promise.currency)
        .join(Case, Case.id == Promise.case_id)
        .where(Promise.status == PromiseStatus.BROKEN.value, Promise.resolved_at >= start_of_day(today))
    )
    return _fire(AlertKind.PROMISE_BROKEN, query, Promise.id, today, now)


def fire_aged_funds(ids: list[int], today: date, now: datetime) -> int:
    """Fire for each trust payment of `ids`, those held beyond their client's remittance delay (R124-6)."""
    if not ids:
        return 0
    query = sa.select(
        Payment.id, Payment.client_id, Payment.case_id, sa.null(), Payment.amount_cents - Payment.credit_cents,
        Payment.currency,
    ).where(Payment.id.in_(ids))
    return _fire(AlertKind.FUNDS_AGED, query, Payment.id, today, now)


def aged_payment_ids(today: date) -> list[int]:
    """Return the ids of the payments the trust account holds beyond their delay."""
    references = [funds.payment_reference for funds in aged_funds(today)]
    if not references:
        return []
    return list(db.session.scalars(sa.select(Payment.id).where(Payment.reference.in_(references))))


def fire_disputes(today: date, now: datetime) -> int:
    """Fire for each dispute open on a case."""
    query = (
        sa.select(Hold.id, Case.client_id, Hold.case_id, sa.null(), sa.null(), Case.currency)
        .join(Case, Case.id == Hold.case_id)
        .where(Hold.kind == HoldKind.DISPUTE.value, Hold.ended_at.is_(None))
    )
    return _fire(AlertKind.DISPUTE_OPENED, query, Hold.id, today, now)


def fire_large_payments(today: date, now: datetime) -> int:
    """Fire for each payment of at least the threshold recorded lately and not reversed."""
    threshold = get_settings().payment_threshold_cents
    query = sa.select(
        Payment.id, Payment.client_id, Payment.case_id, sa.null(), Payment.amount_cents, Payment.currency
    ).where(
        Payment.amount_cents >= threshold, Payment.reversed_on.is_(None),
        Payment.created_at >= now - LARGE_PAYMENT_WINDOW,
    )
    return _fire(AlertKind.LARGE_PAYMENT, query, Payment.id, today, now)


def fire_failed_imports(today: date, now: datetime) -> int:
    """Fire for each placement whose import failed."""
    query = sa.select(Placement.id, Placement.client_id, sa.null(), Placement.id, Placement.total_cents,
                      sa.literal("EUR")).where(Placement.status == PlacementStatus.FAILED.value)
    return _fire(AlertKind.IMPORT_FAILED, query, Placement.id, today, now)


def clear_ended(aged_ids: list[int], now: datetime) -> int:
    """Clear the open alerts whose condition no longer holds (`aged_ids`: the payments still held too long)."""
    ended = {
        AlertKind.FUNDS_AGED: ~Alert.subject_id.in_(aged_ids),
        AlertKind.DISPUTE_OPENED: Alert.subject_id.in_(sa.select(Hold.id).where(Hold.ended_at.is_not(None))),
        AlertKind.LARGE_PAYMENT: Alert.subject_id.in_(sa.select(Payment.id).where(Payment.reversed_on.is_not(None))),
        AlertKind.IMPORT_FAILED: Alert.subject_id.in_(
            sa.select(Placement.id).where(Placement.status != PlacementStatus.FAILED.value)
        ),
    }
    cleared = 0
    for kind, condition in ended.items():
        cleared += db.session.execute(
            sa.update(Alert)
            .where(Alert.kind == kind.value, Alert.acknowledged_at.is_(None), Alert.cleared_at.is_(None), condition)
            .values(cleared_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    return cleared


def start_of_day(day: date) -> datetime:
    """Return midnight of `day` in the agency's time zone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _fire(kind: AlertKind, query: sa.Select, subject_id, today: date, now: datetime) -> int:
    """Insert one alert per row of `query` (subject, client, case, placement, amount, currency) not yet fired."""
    already = sa.select(Alert.id).where(Alert.kind == kind.value, Alert.subject_id == subject_id).exists()
    rows = query.with_only_columns(
        sa.literal(kind.value), *query.selected_columns, sa.literal(today, sa.Date), sa.literal(now, UTCDateTime())
    ).where(~already)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # ON CONFLICT: a second run at the same moment (another worker) adds nothing rather than failing.
    statement = insert(Alert).from_select(COLUMNS, rows).on_conflict_do_nothing().returning(Alert.id)
    return len(db.session.execute(statement).all())
