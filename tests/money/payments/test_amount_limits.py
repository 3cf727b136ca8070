"""An amount too large for any real payment is refused on the form, naming the field, and records nothing."""

from __future__ import annotations

import sqlalchemy as sa

from agency.clock import today
from money.models import Payment
from tests import factories
from tests.money.payments.test_pages import form_values


def test_an_absurdly_large_amount_is_refused_with_the_field_named(client, db_session, login_as):
    case = factories.case(amounts=(250_000,))
    db_session.commit()
    login_as("collector")
    values = {**form_values(client, f"/cases/{case.id}"), "amount": "99 999 999 999 999 999 999,00",
              "received_on": today().isoformat(), "method": "transfer", "channel": "trust"}

    response = client.post(f"/cases/{case.id}/payments/new", data=values)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Montant" in html and "montant trop élevé" in html.lower()
    assert db_session.scalar(sa.select(sa.func.count(Payment.id)).where(Payment.case_id == case.id)) == 0
