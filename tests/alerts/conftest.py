"""Builders for alert tests: each condition produced through the operation that produces it in the app."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db, utcnow
from alerts.models import Alert
from cases.work.promises import Instalment, record_promises, resolve_due_promises
from tests import factories


def alerts_of(kind: str | None = None) -> list[Alert]:
    """Return the alerts in the database, of one kind or all, oldest first."""
    query = sa.select(Alert).order_by(Alert.id)
    if kind:
        query = query.where(Alert.kind == kind)
    db.session.expire_all()
    return db.session.scalars(query).all()


def break_promise(case, amount_cents: int = 5_000, paid_cents: int = 0):
    """Promise an instalment due today, pay `paid_cents` of it, and settle it as the next day's check does."""
    (promise,) = record_promises(case, [Instalment(amount_cents, today())], actor=None,
                                 at=utcnow() - timedelta(days=1))
    if paid_cents:
        factories.payment(case, paid_cents, receipt=False)
    resolve_due_promises(today() + timedelta(days=1))
    return promise


@pytest.fixture
def creditors(db_session):
    """Two clients, so that each rule is seen not to fire for the other one."""
    return factories.client(name="Énergie Ouest SA"), factories.client(name="Télécom Sud SAS")
