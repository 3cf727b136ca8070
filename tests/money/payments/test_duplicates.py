"""A payment like one already on the case (amount, date received, payer reference) is recorded only once confirmed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases import ledger
from cases.models import LedgerEntry
from money.models import Payment
from money.payments.payments import DuplicatePaymentError, duplicate_of, reverse_payment
from tests import factories
from tests.money.payments.test_pages import form_values, payments_of

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
DAY = date(2026, 12, 4)


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY, tick=False)


def counts(db_session) -> tuple[int, int, int]:
    return tuple(db_session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Payment, LedgerEntry, AuditEvent))


def test_the_same_payment_again_is_refused_until_confirmed_and_the_refusal_changes_nothing(db_session):
    case = factories.case(amounts=(100_000,))
    collector = factories.user("collector", name="Camille Roux")
    earlier = factories.payment(case, 30_000, received_on=DAY, payer_reference="VIR SEPA 0412", actor=collector)
    before = counts(db_session)

    with pytest.raises(DuplicatePaymentError) as refused:
        factories.payment(case, 30_000, received_on=DAY, payer_reference="  vir sepa   0412 ")
    assert refused.value.field == "confirm_duplicate" and refused.value.earlier == earlier
    message = str(refused.value)
    assert earlier.reference in message and "Camille Roux" in message and "04/12/2026" in message
    assert counts(db_session) == before and ledger.balance(case.id).outstanding == 70_000

    again = factories.payment(case, 30_000, received_on=DAY, payer_reference="VIR SEPA 0412", confirm_duplicate=True)
    assert again.id != earlier.id and ledger.balance(case.id).outstanding == 40_000


def test_another_amount_date_or_reference_or_a_reversed_twin_is_not_a_duplicate(db_session):
    case = factories.case(amounts=(200_000,))
    first = factories.payment(case, 25_000, received_on=DAY, payer_reference="CHQ 5512034", method="cheque")
    factories.payment(case, 25_001, received_on=DAY, payer_reference="CHQ 5512034")
    factories.payment(case, 25_000, received_on=DAY - timedelta(days=1), payer_reference="CHQ 5512034")
    factories.payment(case, 25_000, received_on=DAY, payer_reference="CHQ 5512035")
    other_case = factories.case(client_row=case.client, amounts=(50_000,))
    factories.payment(other_case, 25_000, received_on=DAY, payer_reference="CHQ 5512034")
    assert len(payments_of(db_session, case)) == 4

    reverse_payment(first, reason="chèque impayé", on=DAY, actor=None)
    assert duplicate_of(case, 25_000, DAY, "CHQ 5512034") is None  # the bounced cheque, presented again
    factories.payment(case, 25_000, received_on=DAY, payer_reference="CHQ 5512034")
    assert len(payments_of(db_session, case)) == 5


def test_a_replayed_form_is_still_recorded_once_and_never_taken_for_a_duplicate(db_session):
    case = factories.case(amounts=(100_000,))
    first = factories.payment(case, 10_000, received_on=DAY, idempotency_key="form-1")
    confirmed = factories.payment(case, 10_000, received_on=DAY, idempotency_key="form-2", confirm_duplicate=True)
    # The same forms posted again (double click, retried request): each returns its payment, nothing more.
    assert factories.payment(case, 10_000, received_on=DAY, idempotency_key="form-1").id == first.id
    assert factories.payment(case, 10_000, received_on=DAY, idempotency_key="form-2").id == confirmed.id
    assert len(payments_of(db_session, case)) == 2 and ledger.balance(case.id).outstanding == 80_000


def test_the_collector_sees_the_earlier_payment_and_records_it_anyway(client, db_session, login_as):
    case = factories.case(amounts=(250_000,))
    earlier = factories.payment(case, 30_000, received_on=DAY, payer_reference="VIR 2211",
                                actor=factories.user("manager", name="Julien Garnier"))
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}/payments/new"
    values = {**form_values(client, page), "amount": "300,00", "received_on": DAY.isoformat(),
              "method": "transfer", "channel": "trust", "payer_reference": "VIR 2211"}

    warned = client.post(page, data=values)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 409
    assert 'data-testid="duplicate-warning"' in html and f'data-reference="{earlier.reference}"' in html
    assert "Ce paiement est peut-être déjà enregistré" in html
    assert "300,00\xa0€" in html and "04/12/2026" in html and "VIR 2211" in html and "Julien Garnier" in html
    assert 'name="confirm_duplicate"' in html and "Enregistrer quand même" in html
    assert f'value="{values["idempotency_key"]}"' in html  # the same form, the same key
    assert len(payments_of(db_session, case)) == 1

    recorded = client.post(page, data={**values, "confirm_duplicate": "y"})
    assert recorded.status_code == 302
    replayed = client.post(page, data={**values, "confirm_duplicate": "y"})  # the confirmation sent twice
    assert replayed.status_code == 302
    assert [p.amount_cents for p in payments_of(db_session, case)] == [30_000, 30_000]
    assert ledger.balance(case.id).outstanding == 190_000


def test_the_client_portal_asks_too_and_names_the_agency(client, db_session, login_as):
    own_client = factories.client()
    case = factories.case(client_row=own_client, amounts=(50_000,))
    factories.payment(case, 20_000, received_on=DAY, method="cheque", actor=factories.user("collector", name="Camille Roux"))
    db_session.commit()
    login_as("client", own_client)
    page = f"/cases/{case.id}/payments/declare"
    values = {**form_values(client, page), "amount": "200,00", "received_on": DAY.isoformat(), "method": "cheque"}

    warned = client.post(page, data=values)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 409 and 'data-testid="duplicate-warning"' in html
    assert "l'agence" in html and "Camille Roux" not in html  # the agency's staff are not named to clients
    assert len(payments_of(db_session, case)) == 1

    assert client.post(page, data={**values, "confirm_duplicate": "y"}).status_code == 302
    assert [p.channel for p in payments_of(db_session, case)] == ["trust", "direct"]
