"""A small portfolio whose every figure is computed by hand in the tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agency.db import db
from cases.models import Action, CaseStatus, Promise
from debtors.models import Hold
from money.payments.payments import reverse_payment
from reports.facts import refresh_figures
from tests import factories

PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _action(case, kind: str, day: str, *, outcome: str = "", step: int | None = None, status: str = "done"):
    channel = {"call": "phone", "sms": "sms", "letter": "post", "email": "email"}[kind]
    row = Action(case_id=case.id, kind=kind, channel=channel, status=status, outcome=outcome, strategy_step=step,
                 done_at=_at(day) if status == "done" else None, scheduled_at=_at(day))
    db.session.add(row)
    return row


def _promise(case, status: str, due_on: str):
    db.session.add(Promise(case_id=case.id, amount_cents=1_000, due_on=date.fromisoformat(due_on), status=status))


@pytest.fixture(name="dash")
def dash_fixture(db_session):
    """Client A: four cases opened in January and February 2026 (one in December 2025, outside); client B: one."""
    client_a, client_b = factories.client(), factories.client()
    c1 = factories.case(client_row=client_a, amounts=(60_000, 40_000), opened_on=date(2026, 1, 10))
    c2 = factories.case(client_row=client_a, amounts=(50_000,), opened_on=date(2026, 1, 25))
    c3 = factories.case(client_row=client_a, amounts=(200_000,), opened_on=date(2026, 2, 15))
    c4 = factories.case(client_row=client_a, amounts=(80_000,), opened_on=date(2026, 2, 20))
    old = factories.case(client_row=client_a, amounts=(70_000,), opened_on=date(2025, 12, 20))
    other = factories.case(client_row=client_b, amounts=(999_900,), opened_on=date(2026, 1, 12))

    _action(c1, "sms", "2026-01-15", step=2)
    _action(c1, "call", "2026-02-01", outcome="no_answer")
    _action(c1, "call", "2026-03-01", outcome="right_party")
    _action(c2, "letter", "2026-01-05", step=1)  # 36 days before c2's payment: too old to be credited
    _action(c3, "letter", "2026-02-15", step=1)
    _action(c3, "call", "2026-02-25", outcome="no_answer")
    _action(c3, "call", "2026-03-10", outcome="voicemail")
    _action(c3, "call", "2026-03-20", outcome="promise")
    _action(c3, "letter", "2026-03-25", step=4)
    _action(c3, "sms", "2026-03-30", status="scheduled")  # never sent: no attempt, credited nothing
    _action(other, "call", "2026-01-14", outcome="right_party")
    _action(old, "call", "2026-01-14", outcome="right_party")
    db.session.flush()

    _promise(c1, "partly_kept", "2026-03-01")
    _promise(c3, "kept", "2026-04-01")
    _promise(c3, "broken", "2026-05-01")
    _promise(c3, "pending", "2026-12-01")

    factories.payment(c1, 20_000, date(2026, 1, 20))
    factories.payment(c1, 30_000, date(2026, 3, 5))
    factories.payment(c2, 50_000, date(2026, 2, 10))  # pays c2 in full
    bounced = factories.payment(c3, 5_000, date(2026, 2, 20))
    reverse_payment(bounced, reason="Chèque impayé", on=date(2026, 2, 25), actor=None)
    factories.payment(c3, 10_000, date(2026, 4, 1))
    factories.payment(old, 70_000, date(2026, 1, 5))
    factories.payment(other, 100_000, date(2026, 1, 15))

    c4.status = CaseStatus.DISPUTE.value
    db.session.add(Hold(debtor_id=c1.debtor_id, kind="insolvency", reason="Redressement judiciaire"))
    db_session.flush()
    refresh_figures()
    db_session.commit()
    return {"a": client_a, "b": client_b, "c1": c1, "c2": c2, "c3": c3, "c4": c4, "old": old, "other": other}


def close_some(dash) -> dict:
    """Close c3 (unfindable, then a late payment), c4 and client B's case for the agency's own reason; c1 is
    closed and reopened (no longer closed). Refresh the figures. Return the closings that stay."""
    from cases.closing.closing import close_case, reopen_case
    from cases.models import ClosingReason

    manager = factories.user("manager")
    db.session.add(ClosingReason(code="client_agreement", label="Accord commercial du client"))
    db.session.flush()
    c3 = close_case(dash["c3"], "unfindable", actor=manager, evidence="Courrier revenu NPAI", on=date(2026, 5, 4))
    factories.payment(dash["c3"], 1_500, date(2026, 5, 20))  # after the closing: less is written off
    c4 = close_case(dash["c4"], "client_agreement", actor=manager, on=date(2026, 5, 6))
    other = close_case(dash["other"], "client_agreement", actor=manager, on=date(2026, 5, 6))
    close_case(dash["c1"], "limitation", actor=manager, on=date(2026, 5, 7))
    reopen_case(dash["c1"], reason="Reconnaissance de dette retrouvée", actor=manager, on=date(2026, 5, 8))
    db.session.flush()
    refresh_figures()
    db.session.commit()
    return {"c3": c3, "c4": c4, "other": other}
