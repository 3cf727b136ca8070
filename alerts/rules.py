"""The alert rules: one set-based INSERT … SELECT per rule, so each occurrence fires once, whatever the volume.

Each rule fires only for rows whose condition holds when it runs; the unique (kind, subject) key makes a
second run, or two runs at once, add nothing. Each alert is dated by its event (`occurred_on`: the
promise's date, the day the payment was received, the dispute opened, the import failed, the pool's
oldest due case fell due), whenever the rule noticed it. Open alerts whose condition has ended (funds
remitted, dispute resolved, payment reversed, import run again, pool worked again) are cleared: they
leave the open list and stay in the history. A broken promise is not cleared: it stays broken.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agency.clock import today as agency_today
from agency.db import UTCDateTime, db, local_day, utcnow
from agency.models import AuditEvent, Role, Team, User, team_member
from alerts.models import DEADLINE_CODES, RECURRING, Alert, AlertKind
from alerts.settings import get_settings
from cases.judicial import settings as judicial_settings
from cases.models import Case, Proceeding, Promise, PromiseStatus
from cases.models.judicial import CLOSED_STAGES
from cases.placement.models import Placement, PlacementStatus
from cases.queue.queue import IN_QUEUE, UNASSIGNED
from debtors.models import Hold, HoldKind
from money.models import Payment
from money.remittances.trust import aged_funds

# A payment fires its alert if recorded within this window: enough for a job that missed a few runs,
# while a threshold lowered today does not flood the page with last year's payments.
LARGE_PAYMENT_WINDOW = timedelta(days=7)
COLUMNS = ("kind", "subject_id", "client_id", "case_id", "placement_id", "amount_cents", "currency",
           "occurred_on", "team_id", "fired_on", "fired_at")


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
        AlertKind.POOL_UNATTENDED.value: fire_unattended_pools(today, now),
        AlertKind.JUDICIAL_DEADLINE.value: fire_judicial_deadlines(today, now),
    }
    counts["cleared"] = clear_ended(aged, now)
    return counts


def fire_broken_promises(today: date, now: datetime) -> int:
    """Fire for each instalment found broken today (the promise check settles them the day after their date).

    Dated by the promise's date: the day the debtor did not pay.
    """
    query = (
        sa.select(Promise.id, Case.client_id, Promise.case_id, sa.null(), Promise.amount_cents, Promise.currency,
                  Promise.due_on)
        .join(Case, Case.id == Promise.case_id)
        .where(Promise.status == PromiseStatus.BROKEN.value, Promise.resolved_at >= start_of_day(today))
    )
    return _fire(AlertKind.PROMISE_BROKEN, query, Promise.id, today, now)


def fire_aged_funds(ids: list[int], today: date, now: datetime) -> int:
    """Fire for each trust payment of `ids`, those held beyond their client's remittance delay (R124-6).

    Dated by the day the money was received, from which the delay runs.
    """
    if not ids:
        return 0
    query = sa.select(
        Payment.id, Payment.client_id, Payment.case_id, sa.null(), Payment.amount_cents - Payment.credit_cents,
        Payment.currency, Payment.received_on,
    ).where(Payment.id.in_(ids))
    return _fire(AlertKind.FUNDS_AGED, query, Payment.id, today, now)


def aged_payment_ids(today: date) -> list[int]:
    """Return the ids of the payments the trust account holds beyond their delay."""
    references = [funds.payment_reference for funds in aged_funds(today)]
    if not references:
        return []
    return list(db.session.scalars(sa.select(Payment.id).where(Payment.reference.in_(references))))


def fire_disputes(today: date, now: datetime) -> int:
    """Fire for each dispute open on a case, dated by the day it was opened."""
    query = (
        sa.select(Hold.id, Case.client_id, Hold.case_id, sa.null(), sa.null(), Case.currency,
                  local_day(Hold.started_at, _zone()))
        .join(Case, Case.id == Hold.case_id)
        .where(Hold.kind == HoldKind.DISPUTE.value, Hold.ended_at.is_(None))
    )
    return _fire(AlertKind.DISPUTE_OPENED, query, Hold.id, today, now)


def fire_large_payments(today: date, now: datetime) -> int:
    """Fire for each payment of at least the threshold recorded lately and not reversed, dated by its receipt."""
    threshold = get_settings().payment_threshold_cents
    query = sa.select(
        Payment.id, Payment.client_id, Payment.case_id, sa.null(), Payment.amount_cents, Payment.currency,
        Payment.received_on,
    ).where(
        Payment.amount_cents >= threshold, Payment.reversed_on.is_(None),
        Payment.created_at >= now - LARGE_PAYMENT_WINDOW,
    )
    return _fire(AlertKind.LARGE_PAYMENT, query, Payment.id, today, now)


def fire_failed_imports(today: date, now: datetime) -> int:
    """Fire for each placement whose import failed, dated by the failure (its audit event)."""
    failed_at = (
        sa.select(sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.action == "placement.failed", AuditEvent.subject_type == "placement",
               AuditEvent.subject_id == Placement.id)
        .scalar_subquery()
    )
    moment = sa.func.coalesce(failed_at, Placement.validated_at, Placement.created_at)
    query = sa.select(Placement.id, Placement.client_id, sa.null(), Placement.id, Placement.total_cents,
                      sa.literal("EUR"), local_day(moment, _zone())).where(
        Placement.status == PlacementStatus.FAILED.value)
    return _fire(AlertKind.IMPORT_FAILED, query, Placement.id, today, now)


def unattended_pools(now: datetime) -> sa.Select:
    """Return SELECT (team id, cases due, oldest due time) of the pools with due cases and no active member."""
    attended = sa.exists().where(
        team_member.c.team_id == Team.id, team_member.c.user_id == User.id, User.active.is_(True),
        User.role != Role.CLIENT.value,
    )
    return (
        sa.select(Team.id, sa.func.count(Case.id).label("due"), sa.func.min(Case.next_action_at).label("since"))
        .join(Case, Case.team_id == Team.id)
        .where(IN_QUEUE, UNASSIGNED, Case.next_action_at <= now, ~attended)
        .group_by(Team.id)
    )


def fire_unattended_pools(today: date, now: datetime) -> int:
    """Fire for each team whose pool has due cases and no active member, dated by its oldest due case."""
    pools = unattended_pools(now).subquery()
    query = sa.select(
        pools.c.id, sa.null(), sa.null(), sa.null(), sa.null(), sa.literal("EUR"), local_day(pools.c.since, _zone()),
        pools.c.id,
    )
    return _fire(AlertKind.POOL_UNATTENDED, query, pools.c.id, today, now)


def fire_judicial_deadlines(today: date, now: datetime) -> int:
    """Fire for each open proceeding whose next deadline comes within one of the configured days (30, 7, 1).

    Each deadline fires once per threshold: the tightest one it is within (a deadline first seen 5 days
    ahead fires its 7-day alert, not the 30-day one as well). Dated by the deadline.
    """
    days = judicial_settings.days_list("alert_days", today)  # largest first
    if not days:
        return 0
    due = Proceeding.next_deadline_on
    # The tightest threshold N the deadline is within: today ≤ deadline ≤ today + N.
    threshold = sa.case(*[(due <= today + timedelta(days=n), n) for n in reversed(days)])
    code = sa.case(DEADLINE_CODES, value=Proceeding.next_deadline_kind)
    query = sa.select(
        Proceeding.id * 10_000 + code * 1_000 + threshold, Proceeding.client_id, Proceeding.case_id, sa.null(),
        Proceeding.claimed_cents, Proceeding.currency, due,
    ).where(
        Proceeding.stage.not_in([s.value for s in CLOSED_STAGES]), due >= today,
        due <= today + timedelta(days=days[0]), Proceeding.next_deadline_kind.in_(DEADLINE_CODES),
    )
    return _fire(AlertKind.JUDICIAL_DEADLINE, query, query.selected_columns[0], today, now)


def clear_ended(aged_ids: list[int], now: datetime) -> int:
    """Clear the open alerts whose condition no longer holds (`aged_ids`: the payments still held too long)."""
    ended = {
        AlertKind.FUNDS_AGED: ~Alert.subject_id.in_(aged_ids),
        AlertKind.DISPUTE_OPENED: Alert.subject_id.in_(sa.select(Hold.id).where(Hold.ended_at.is_not(None))),
        AlertKind.LARGE_PAYMENT: Alert.subject_id.in_(sa.select(Payment.id).where(Payment.reversed_on.is_not(None))),
        AlertKind.IMPORT_FAILED: Alert.subject_id.in_(
            sa.select(Placement.id).where(Placement.status != PlacementStatus.FAILED.value)
        ),
        AlertKind.POOL_UNATTENDED: ~Alert.subject_id.in_(unattended_pools(now).with_only_columns(Team.id)),
        AlertKind.JUDICIAL_DEADLINE: ~judicial_deadline_pending(),
    }
    cleared = 0
    for kind, condition in ended.items():
        # A recurring kind's spell ends even once acknowledged, so that the next spell fires again.
        unseen = [] if kind in RECURRING else [Alert.acknowledged_at.is_(None)]
        cleared += db.session.execute(
            sa.update(Alert)
            .where(Alert.kind == kind.value, *unseen, Alert.cleared_at.is_(None), condition)
            .values(cleared_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    return cleared


def judicial_deadline_pending() -> sa.ColumnElement[bool]:
    """Return the clause of judicial alerts whose deadline is still the proceeding's next one (else: served,
    answered, closed, or the next deadline has come)."""
    code = sa.case(DEADLINE_CODES, value=Proceeding.next_deadline_kind)
    return sa.exists().where(
        Proceeding.id == Alert.subject_id // 10_000, code == (Alert.subject_id // 1_000) % 10,
        Proceeding.stage.not_in([s.value for s in CLOSED_STAGES]),
    )


def start_of_day(day: date) -> datetime:
    """Return midnight of `day` in the agency's time zone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _zone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _fire(kind: AlertKind, query: sa.Select, subject_id, today: date, now: datetime) -> int:
    """Insert one alert per row of `query` not yet fired.

    The rows are (subject, client, case, placement, amount, currency, day of the event[, team]).
    """
    already = sa.select(Alert.id).where(Alert.kind == kind.value, Alert.subject_id == subject_id)
    if kind in RECURRING:
        already = already.where(Alert.cleared_at.is_(None))  # the spell under way, acknowledged or not
    columns = list(query.selected_columns)
    if len(columns) == 7:
        columns.append(sa.null())  # no team
    rows = query.with_only_columns(
        sa.literal(kind.value), *columns, sa.literal(today, sa.Date), sa.literal(now, UTCDateTime())
    ).where(~already.exists())
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # ON CONFLICT: a second run at the same moment (another worker) adds nothing rather than failing.
    statement = insert(Alert).from_select(COLUMNS, rows).on_conflict_do_nothing().returning(Alert.id)
    return len(db.session.execute(statement).all())
