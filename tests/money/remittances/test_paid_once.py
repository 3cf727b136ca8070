"""A statement is marked paid once, even when another manager marked it between loading the page and saving.

The other manager's commit must be visible to this session, so the test runs on a database of its own.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.models import Case
from money.models import Remittance
from money.remittances.statements import RemittanceError, mark_paid, run_remittances
from tests import factories
from tests.money.payments.test_concurrency import pay_app  # noqa: F401  (the fixture: a database of its own)
from tests.money.remittances.conftest import pay

pytestmark = pytest.mark.no_db


def test_a_statement_marked_paid_meanwhile_is_not_marked_again(pay_app):  # noqa: F811
    if not pay_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite takes its write lock when the transaction begins: no one else writes meanwhile")
    with pay_app.app_context():
        case = db.session.get(Case, pay_app.config["CASE_ID"])
        pay(case, 25_000, date(2026, 3, 3))
        (statement,) = run_remittances(date(2026, 3, 31))
        manager = factories.user("manager")
        db.session.commit()
        statement = db.session.get(Remittance, statement.id)  # the page loads the statement, still issued
        assert statement.status == "issued"
        # Meanwhile another manager marks it paid and commits.
        with db.engine.begin() as other:
            other.execute(sa.update(Remittance).where(Remittance.id == statement.id).values(
                status="paid", paid_on=date(2026, 4, 2), paid_reference="VIR-OTHER"))
        with pytest.raises(RemittanceError, match="déjà marqué payé"):
            mark_paid(statement, paid_on=date(2026, 4, 3), reference="VIR-MINE", actor=manager)
        db.session.rollback()
        assert db.session.get(Remittance, statement.id).paid_reference == "VIR-OTHER"
