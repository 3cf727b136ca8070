"""A plan awaiting the client is decided once, even when another user of the client decided it meanwhile.

The other user's commit must be visible to this session, so the test runs on a database of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from cases.models import Case
from money.models import PaymentPlan
from money.plans.plans import PlanError, approve_plan, propose_plan, split
from tests import factories
from tests.money.payments.test_concurrency import pay_app  # noqa: F401  (the fixture: a database of its own)

pytestmark = pytest.mark.no_db


def test_a_plan_refused_meanwhile_is_not_approved(pay_app):  # noqa: F811
    if not pay_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite takes its write lock when the transaction begins: no one else writes meanwhile")
    with pay_app.app_context():
        case = db.session.get(Case, pay_app.config["CASE_ID"])
        # Half the balance: a settlement beyond what the mandate lets the agency grant alone.
        plan = propose_plan(case, instalments=split(50_000, 2, today() + timedelta(days=7)), total_cents=50_000,
                            actor=None)
        assert plan.status == "awaiting_client"
        approver = factories.user("client", client=case.client)
        db.session.commit()
        plan = db.session.get(PaymentPlan, plan.id)  # the approvals page loads the plan
        with db.engine.begin() as other:  # another user of the client refuses it and commits
            other.execute(sa.update(PaymentPlan).where(PaymentPlan.id == plan.id).values(status="refused"))
        with pytest.raises(PlanError):
            approve_plan(plan, actor=approver)
        db.session.rollback()
        assert db.session.get(PaymentPlan, plan.id).status == "refused"
        assert db.session.get(Case, case.id).status != "plan"
