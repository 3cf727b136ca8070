"""The same payment form submitted at once from several places: recorded once, every submitter gets it back.

The rows must be committed for other connections to see them, so this test runs on a database of its
own (a file beside the test database on SQLite, `<test database>_pay` on PostgreSQL).
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from cases import ledger
from cases.models import Case, LedgerEntry
from money.models import Payment
from money.payments.payments import record_payment
from tests import factories
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db

SUBMITTERS = 6


@pytest.fixture
def pay_app(app, tmp_path):
    """An app on a fresh, migrated database holding one case."""
    with separate_app(app, tmp_path, "pay") as pay:
        with pay.app_context():
            case = factories.case(amounts=(100_000,))
            db.session.commit()
            pay.config["CASE_ID"] = case.id
        yield pay


def _submit(app, results: list[int], errors: list[BaseException], start: threading.Barrier) -> None:
    try:
        start.wait()
        with app.app_context():
            case = db.session.get(Case, app.config["CASE_ID"])
            payment = record_payment(case, amount_cents=25_000, received_on=today(), method="transfer",
                                     channel="trust", idempotency_key="double-click", actor=None)
            db.session.commit()
            results.append(payment.id)
    except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
        errors.append(exc)


def test_simultaneous_submissions_of_one_form_record_one_payment(pay_app):
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(SUBMITTERS)
    threads = [threading.Thread(target=_submit, args=(pay_app, results, errors, start)) for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == SUBMITTERS and len(set(results)) == 1
    with pay_app.app_context():
        case_id = pay_app.config["CASE_ID"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.payment_id.is_not(None))) == 1
        assert ledger.balance(case_id).outstanding == 75_000
