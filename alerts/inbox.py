"""The notification area: the open alerts, the history, and acknowledging them."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from agency import audit
from agency.auth import scoped
from agency.db import db, utcnow
from agency.models import User
from alerts.models import Alert, AlertKind, severity_order

PAGE_SIZE = 200
OPEN = "open"
HISTORY = "history"
STATES = (OPEN, HISTORY)


def is_open() -> sa.ColumnElement[bool]:
    """Return the clause of alerts still waiting for a manager."""
    return sa.and_(Alert.acknowledged_at.is_(None), Alert.cleared_at.is_(None))


def open_count() -> int:
    """Return how many alerts are open (the navbar's bell)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(is_open())) or 0


def list_alerts(state: str = OPEN, kind: str = "") -> list[Alert]:
    """Return the open alerts, most serious first, or the history (acknowledged or cleared), of one kind or all.

    Within a severity, and in the history, the most recent events come first.
    """
    query = scoped(Alert).where(is_open() if state == OPEN else ~is_open())
    if kind in {k.value for k in AlertKind}:
        query = query.where(Alert.kind == kind)
    query = query.options(
        joinedload(Alert.client), joinedload(Alert.case), joinedload(Alert.placement), joinedload(Alert.team),
        joinedload(Alert.acknowledged_by),
    )
    order = [Alert.occurred_on.desc(), Alert.fired_at.desc(), Alert.id.desc()]
    if state == OPEN:
        order.insert(0, severity_order())
    return db.session.scalars(query.order_by(*order).limit(PAGE_SIZE)).unique().all()


def counts_by_kind() -> dict[str, int]:
    """Return the number of open alerts of each kind."""
    rows = db.session.execute(sa.select(Alert.kind, sa.func.count()).where(is_open()).group_by(Alert.kind)).all()
    return {kind: int(n) for kind, n in rows}


def acknowledge(alert_ids: Iterable[int], *, actor: User) -> int:
    """Acknowledge the open alerts among `alert_ids`, one audit event each; return how many."""
    alerts = db.session.scalars(
        scoped(Alert, actor).where(Alert.id.in_(list(alert_ids)), is_open()).order_by(Alert.id)
    ).all()
    now = utcnow()
    for alert in alerts:
        before, after = audit.changes(alert, acknowledged_at=now, acknowledged_by_id=actor.id)
        audit.record("alert.acknowledged", actor=actor, subject=alert, before=before,
                     after=after | {"kind": alert.kind, "subject_id": alert.subject_id})
    return len(alerts)
