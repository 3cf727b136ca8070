"""The payment panel, the forms, receipts and the payments feed, as staff and client users use them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from agency.clock import today
from cases import ledger
from money.models import Payment
from tests import factories
from tests.cases.letters.reading import flat
from tests.conftest import csrf_token

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def form_values(client, page: str) -> dict:
    html = client.get(page).get_data(as_text=True)
    return {"csrf_token": csrf_token(client, page), "idempotency_key": KEY_RE.search(html).group(1)}


def payments_of(db_session, case) -> list[Payment]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Payment).where(Payment.case_id == case.id).order_by(Payment.id)))


def test_staff_record_a_payment_from_the_case_screen_and_a_double_submit_records_it_once(
        client, db_session, login_as, run_jobs):
    factories.agency_profile()
    case = factories.case(amounts=(250_000,))
    db_session.commit()
    login_as("collector")
    page = f"/cases/{case.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="payment-form"' in html and "Enregistrer le paiement" in html
    values = {**form_values(client, page), "amount": "1 234,56", "received_on": today().isoformat(),
              "method": "transfer", "channel": "trust", "payer_reference": "VIR 778"}

    first = client.post(f"/cases/{case.id}/payments/new", data=values)
    second = client.post(f"/cases/{case.id}/payments/new", data=values)  # the same form sent twice
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith(f"/cases/{case.id}#payments")
    run_jobs()
    [payment] = payments_of(db_session, case)
    assert payment.amount_cents == 123_456 and payment.payer_reference == "VIR 778"
    assert payment.receipt_path  # issued by the job
    assert ledger.balance(case.id).outstanding == 250_000 - 123_456

    html = client.get(page).get_data(as_text=True)
    assert payment.reference in html and f'href="/payments/{payment.id}/receipt.pdf"' in html
    assert "partiel" in html
    receipt = client.get(f"/payments/{payment.id}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    # Collectors do not reverse payments.
    assert 'data-testid="reverse-form"' not in html
    assert client.post(f"/payments/{payment.id}/reverse", data={"csrf_token": csrf_token(client, page)}).status_code == 403


def test_bad_input_comes_back_with_the_field_named_and_records_nothing(client, db_session, login_as):
    case = factories.case()
    db_session.commit()
    login_as("manager")
    page = f"/cases/{case.id}/payments/new"
    values = {**form_values(client, page), "method": "cheque", "channel": "trust"}

    response = client.post(page, data={**values, "amount": "12,345", "received_on": today().isoformat()})
    assert response.status_code == 400
    assert "Ce n'est pas un montant" in response.get_data(as_text=True)
    future = (today() + timedelta(days=3)).isoformat()
    response = client.post(page, data={**values, "amount": "10,00", "received_on": future})
    assert response.status_code == 400
    assert "Date de réception : un paiement ne peut pas être reçu dans le futur." in response.get_data(as_text=True)
    assert payments_of(db_session, case) == []


def test_an_overpayment_is_flagged_on_the_case_and_in_the_payments_list(client, db_session, login_as):
    case = factories.case(amounts=(10_000,))
    factories.payment(case, 12_500)
    db_session.commit()
    login_as("manager")
    html = flat(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'data-testid="credit-flag"' in html and "Trop-perçu : 25,00 € à rembourser au débiteur." in html
    listing = client.get("/payments?credits=1").get_data(as_text=True)
    assert case.reference in listing and 'data-testid="credit-badge"' in listing


def test_a_manager_reverses_a_payment_and_the_case_reopens(client, db_session, login_as):
    case = factories.case(amounts=(10_000,))
    payment = factories.payment(case, 10_000, received_on=today() - timedelta(days=1))
    db_session.commit()
    assert case.status == "paid"
    login_as("manager")
    page = f"/cases/{case.id}"
    assert 'data-testid="reverse-form"' in client.get(page).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, page), "reason": "Chèque impayé", "on": today().isoformat()}
    assert client.post(f"/payments/{payment.id}/reverse", data=data).status_code == 302
    db_session.expire_all()
    assert payment.reversed_on == today() and case.status == "active"
    # Twice: refused with a message, nothing more written.
    response = client.post(f"/payments/{payment.id}/reverse", data=data, follow_redirects=True)
    assert "a déjà été contrepassé" in response.get_data(as_text=True)


def test_a_client_declares_a_direct_payment_on_its_own_case_only(client, db_session, login_as):
    own_client, other_client = factories.client(), factories.client()
    own = factories.case(client_row=own_client, amounts=(50_000,))
    other = factories.case(client_row=other_client)
    other_payment = factories.payment(other, 1_000)
    db_session.commit()
    login_as("client", own_client)

    page = f"/cases/{own.id}"
    html = client.get(page).get_data(as_text=True)
    assert f'action="/cases/{own.id}/payments/declare"' in html and "Déclarer le paiement" in html
    values = {**form_values(client, page), "amount": "200,00", "received_on": today().isoformat(),
              "method": "cheque", "channel": "trust"}  # a client cannot choose the trust account
    assert client.post(f"/cases/{own.id}/payments/declare", data=values).status_code == 302
    [payment] = payments_of(db_session, own)
    assert payment.channel == "direct" and payment.amount_cents == 20_000 and payment.commission_cents == 3_000

    # Another client's case, payment or receipt: 404, never 403.
    assert client.get(f"/cases/{other.id}/payments/declare").status_code == 404
    assert client.post(f"/cases/{other.id}/payments/declare", data=values).status_code == 404
    assert client.get(f"/payments/{other_payment.id}/receipt.pdf").status_code == 404
    # Recording on the trust account is for staff.
    assert client.get(f"/cases/{own.id}/payments/new").status_code == 403


def test_the_client_feed_shows_its_payments_only_the_day_they_are_recorded(client, db_session, login_as):
    own_client = factories.client()
    own = factories.case(client_row=own_client, amounts=(90_000,))
    partial = factories.payment(own, 10_000, received_on=today() - timedelta(days=40))
    latest = factories.payment(own, 5_000)
    foreign = factories.payment(factories.case(), 7_700)
    db_session.commit()
    login_as("client", own_client)
    html = client.get("/payments").get_data(as_text=True)
    rows = re.findall(r'data-testid="payment-row" data-reference="([^"]+)"', html)
    assert rows == [latest.reference, partial.reference]  # newest recorded first
    assert foreign.reference not in html and "partiel" in html
    # The client filter is for staff: a client cannot widen its view.
    html = client.get(f"/payments?client={foreign.client_id}").get_data(as_text=True)
    assert foreign.reference not in html and latest.reference in html


def test_staff_filter_the_payments_by_date_client_and_channel(client, db_session, login_as):
    a, b = factories.client(), factories.client()
    pa = factories.payment(factories.case(client_row=a), 1_000, received_on=date(2026, 10, 5))
    pb = factories.payment(factories.case(client_row=b), 2_000, channel="direct")
    db_session.commit()
    login_as("manager")
    html = client.get(f"/payments?client={a.id}").get_data(as_text=True)
    assert pa.reference in html and pb.reference not in html
    html = client.get("/payments?channel=direct").get_data(as_text=True)
    assert pb.reference in html and pa.reference not in html
    html = client.get("/payments?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert pa.reference in html and pb.reference not in html


def test_the_ledger_card_shows_each_entrys_origin(client, db_session, login_as):
    case = factories.case(amounts=(10_000,))
    payment = factories.payment(case, 4_000, actor=factories.user("collector", name="Paul Durand"))
    db_session.commit()
    login_as("manager")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    ledger_card = html[html.index('data-testid="ledger"'):]
    assert "Remise, facture" in ledger_card
    assert f"Règlement {payment.reference}" in ledger_card and "Paul Durand" in ledger_card
