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
from sqlalchemy.orm import selectinload

from agency.clock import today as agency_today
from agency.db import BigId, UTCDateTime, db, local_day, utcnow
from agency.models import AuditEvent, Role, Team, User, team_member
from alerts.models import DEADLINE_CODES, FILING_MISSED, RECURRING, Alert, AlertKind, insolvency_subject
from alerts.settings import get_settings
from cases.closing.limitation import ALERT_DAYS, claim_outstanding, day_number
from cases.judicial import settings as judicial_settings
from cases.judicial.daily import Figures
from cases.judicial.insolvency import filing_deadline, filing_months
from cases.models import (
    Case,
    CaseStatus,
    ClaimLimitation,
    ClaimStatus,
    InsolvencyClaim,
    JudicialSetting,
    Proceeding,
    Promise,
    PromiseStatus,
)
from cases.models.judicial import CLOSED_STAGES
from cases.placement.models import Placement, PlacementStatus
from cases.queue.queue import IN_QUEUE, UNASSIGNED
from debtors.holds import add_months
from debtors.models import Hold, HoldKind
from money.models import Payment
from money.remittances.trust import aged_funds

# A payment fires its alert if recorded within this window: enough for a job that missed a few runs,
# while a threshold lowered today does not flood the page with last year's payments.
LARGE_PAYMENT_WINDOW = timedelta(days=7)
# A creditor who missed the filing deadline may ask the judge-commissioner for relief within six months of the
# BODACC publication (C. com. L622-26): the missed deadline fires its alert within that window only.
RELIEF_MONTHS = 6
CLOSED_CASES = (CaseStatus.PAID.value, CaseStatus.CLOSED.value)
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
        AlertKind.INSOLVENCY_CLAIM.value: fire_insolvency_claims(today, now),
        AlertKind.LIMITATION.value: fire_limitations(today, now),
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


def fire_insolvency_claims(today: date, now: datetime) -> int:
    """Fire for each open case whose claim is not yet filed in its debtor's insolvency proceedings, at the
    configured days before the filing deadline (as judicial deadlines: once per threshold, the tightest one
    it is within), and once when the deadline has passed, while relief can still be asked. Dated by the deadline.

    The deadline runs from the BODACC publication by the months in force that day (two more for a client
    outside metropolitan France): month arithmetic differs between databases, so the few cases under an
    insolvency hold are read and their deadlines computed here, and the alerts inserted set-based.
    """
    days = judicial_settings.days_list("alert_days", today)  # largest first
    longest = db.session.scalar(
        sa.select(sa.func.max(sa.cast(JudicialSetting.value, sa.Integer)))
        .where(JudicialSetting.key == "insolvency_filing_months")
    ) or 0
    # Holds published earlier can have neither a deadline ahead nor relief still open.
    since = add_months(today, -max(RELIEF_MONTHS, longest + 2))
    fired: dict[int, tuple[int, date, int | None]] = {}  # case id: (subject id, deadline, amount prepared)
    rows = db.session.execute(
        unfiled_insolvency_claims().add_columns(InsolvencyClaim.due_cents + InsolvencyClaim.not_due_cents)
        .where(Hold.bodacc_published_on >= since).options(selectinload(Case.client))
    )
    figures = Figures()  # the months in force, read once per publication day
    for case, hold, prepared_cents in rows:
        deadline = filing_deadline(case, hold, figures.of(filing_months, hold.bodacc_published_on))
        within = [n for n in days if today <= deadline <= today + timedelta(days=n)]
        if within:
            fired[case.id] = (insolvency_subject(case.id, within[-1]), deadline, prepared_cents)
        elif deadline < today <= add_months(hold.bodacc_published_on, RELIEF_MONTHS):
            fired[case.id] = (insolvency_subject(case.id, FILING_MISSED), deadline, prepared_cents)
    if not fired:
        return 0
    subject = _by_case({case_id: row[0] for case_id, row in fired.items()})
    query = sa.select(
        subject, Case.client_id, Case.id, sa.null(),
        _by_case({case_id: row[2] for case_id, row in fired.items() if row[2] is not None}), Case.currency,
        _by_case({case_id: sa.literal(row[1], sa.Date) for case_id, row in fired.items()}),
    ).where(Case.id.in_(list(fired)))
    return _fire(AlertKind.INSOLVENCY_CLAIM, query, subject, today, now)


def fire_limitations(today: date, now: datetime) -> int:
    """Fire for each claim still owed on an open case whose limitation date comes within 90, then 30 days.

    Read from `claim_limitation` as the daily limitation job left it; each date fires once per threshold, the
    tightest it is within (as judicial deadlines), and a claim interrupted since fires again for its new date.
    Dated by the limitation date.
    """
    due = ClaimLimitation.limitation_on
    threshold = sa.case(*[(due <= today + timedelta(days=n), code) for code, n in _limitation_codes()])
    # claim_id is an INTEGER column: widened first, or the product overflows from claim 2,148 on.
    subject = sa.cast(ClaimLimitation.claim_id, BigId) * 1_000_000 + day_number(due) * 10 + threshold
    query = (
        sa.select(subject, ClaimLimitation.client_id, ClaimLimitation.case_id, sa.null(),
                  claim_outstanding(ClaimLimitation.claim_id), Case.currency, due)
        .join(Case, Case.id == ClaimLimitation.case_id)
        .where(due >= today, due <= today + timedelta(days=ALERT_DAYS[0]), ClaimLimitation.suspended_since.is_(None),
               Case.status.not_in(CLOSED_CASES), claim_outstanding(ClaimLimitation.claim_id) > 0)
    )
    return _fire(AlertKind.LIMITATION, query, subject, today, now)


def _limitation_codes() -> list[tuple[int, int]]:
    """Return (code, days) of the limitation alerts, tightest first: 2 for 30 days, 1 for 90 days."""
    return sorted(((number, days) for number, days in enumerate(ALERT_DAYS, start=1)), key=lambda pair: pair[1])


def limitation_pending() -> sa.ColumnElement[bool]:
    """Return the clause of limitation alerts whose claim still has that date, on an open case."""
    return sa.exists().where(
        ClaimLimitation.claim_id == Alert.subject_id // 1_000_000,
        day_number(ClaimLimitation.limitation_on) == (Alert.subject_id // 10) % 100_000,
        Case.id == ClaimLimitation.case_id, Case.status.not_in(CLOSED_CASES),
    )


def _by_case(values: dict) -> sa.ColumnElement:
    """Return CASE collection_case.id WHEN … THEN value …: a value computed here for each case selected."""
    return sa.case(values, value=Case.id) if values else sa.null()


def unfiled_insolvency_claims() -> sa.Select:
    """Return SELECT (case, hold) of the open cases whose debtor is under an active insolvency hold with its
    BODACC publication and whose claim is not filed for that hold (none yet, or only prepared)."""
    return (
        sa.select(Case, Hold).join(Hold, Hold.debtor_id == Case.debtor_id)
        .outerjoin(InsolvencyClaim, sa.and_(InsolvencyClaim.case_id == Case.id, InsolvencyClaim.hold_id == Hold.id))
        .where(Hold.kind == HoldKind.INSOLVENCY.value, Hold.ended_at.is_(None), Hold.bodacc_published_on.is_not(None),
               Case.status.not_in(CLOSED_CASES),
               sa.or_(InsolvencyClaim.id.is_(None), InsolvencyClaim.status == ClaimStatus.PREPARED.value))
    )


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
        AlertKind.INSOLVENCY_CLAIM: ~(Alert.subject_id // 1_000).in_(
            unfiled_insolvency_claims().with_only_columns(Case.id)
        ),
        AlertKind.LIMITATION: ~limitation_pending(),
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
