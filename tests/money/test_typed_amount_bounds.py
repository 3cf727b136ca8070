"""Amounts typed by people (a plan's total and instalments, a promise's instalments, a mandate's fee) are held to
the case's bound like placed invoices, the field named; even on a case that holds more from before the bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.config import DEFAULT_MAX_CASE_CENTS
from agency.db import db
from money.models import PaymentPlan
from tests import factories
from tests.cases.letters.reading import flat
from tests.conftest import csrf_token

BEYOND = "2 000 000 000,00"  # twice the bound of a case
MESSAGE = "Montant trop élevé : au plus 1 000 000 000,00 €."


@pytest.fixture
def huge_case(db_session):
    """A case placed before amounts were bounded: it owes far more than a case may hold today."""
    debtor = factories.debtor()
    factories.contact(debtor, "phone", "+33612345678", label="mobile", is_primary=True, sms_consent=True)
    row = factories.case(debtor_row=debtor, amounts=(DEFAULT_MAX_CASE_CENTS * 50,))
    db_session.commit()
    return row


def field_html(page: str, name: str) -> str:
    """Return the HTML from a field's input up to the next field, where its error message is written."""
    return page.split(f'name="{name}"', 1)[1].split('name="', 1)[0]


def test_a_plans_total_and_instalments_beyond_the_bound_are_refused_at_their_field(client, login_as, huge_case):
    login_as("collector")
    url = f"/cases/{huge_case.id}/plans/new"
    first = today() + timedelta(days=10)
    terms = {"csrf_token": csrf_token(client, url), "total": BEYOND, "count": "1",
             "first_due": first.isoformat(), "every": "month", "grace_days": "5"}
    shown = client.post(url, data={**terms, "show": "1"})
    assert shown.status_code == 400
    assert MESSAGE in flat(field_html(shown.get_data(as_text=True), "total"))
    lines = {"instalments-0-amount": BEYOND, "instalments-0-due_on": first.isoformat()}
    agreed = client.post(url, data={**terms, "total": "100,00", **lines, "agree": "1"})
    assert agreed.status_code == 400
    assert MESSAGE in flat(field_html(agreed.get_data(as_text=True), "instalments-0-amount"))
    assert db.session.scalar(sa.select(sa.func.count(PaymentPlan.id)).where(PaymentPlan.case_id == huge_case.id)) == 0


def test_a_promise_beyond_the_bound_is_refused_at_its_instalment(client, db_session, login_as, huge_case):
    login_as("collector")
    url = f"/cases/{huge_case.id}/promise"
    data = {"csrf_token": csrf_token(client, url), "instalments-0-amount": BEYOND,
            "instalments-0-due_on": (today() + timedelta(days=3)).isoformat()}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert MESSAGE in flat(field_html(response.get_data(as_text=True), "instalments-0-amount"))
    db_session.refresh(huge_case)
    assert not huge_case.promises
