"""Paying a case by card: the page opened with (fake) Stripe, the signed webhook, and what each event leaves."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from cases import ledger
from money.models import Checkout, Payment, ProviderEvent
from money.online import OnlinePaymentError, checkout_status, start_checkout
from money.online.fake_stripe import FEE_BP, FEE_FIXED_CENTS, sign
from tests.money.online.conftest import CANCEL_URL, SECRET, SUCCESS_URL, click, post_event


def open_page(db_session, case, purpose="full", amount=None):
    started = start_checkout(case, amount, purpose=purpose, success_url=SUCCESS_URL, cancel_url=CANCEL_URL,
                             actor_label="debtor (space)")
    db_session.commit()
    return started


def payments_of(db_session, case) -> list[Payment]:
    return list(db_session.scalars(sa.select(Payment).where(Payment.case_id == case.id)))


def checkout_of(db_session, session_id: str) -> Checkout:
    row = db_session.scalar(sa.select(Checkout).where(Checkout.provider_session_id == session_id))
    db_session.refresh(row)
    return row


def test_a_paid_checkout_records_one_payment_from_the_webhook_with_its_fee(
        client, db_session, case, fake_stripe, run_jobs):
    started = open_page(db_session, case)
    assert started.url.startswith(fake_stripe.url) and started.session_id.startswith("cs_test_")
    session = fake_stripe.session(started.session_id)
    assert session["amount_total"] == 50_000 and session["currency"] == "eur"
    assert session["client_reference_id"] == checkout_of(db_session, started.session_id).reference

    answer = click(started.url, "pay")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"http://localhost/space/paid?session_id={started.session_id}"
    # Back on our return page before Stripe's event: being confirmed, and no money recorded from the redirect.
    assert checkout_status(started.session_id, case=case).status == "pending"
    assert payments_of(db_session, case) == []

    [delivery] = fake_stripe.outbox
    assert delivery.event["type"] == "checkout.session.completed"
    response = post_event(client, delivery)
    assert response.status_code == 200 and response.get_json()["outcome"] == "recorded"

    [payment] = payments_of(db_session, case)
    assert (payment.amount_cents, payment.method, payment.channel) == (50_000, "card", "trust")
    assert payment.received_on == date(2026, 12, 7) and payment.commission_cents > 0
    assert ledger.balance(case.id).outstanding == 0
    checkout = checkout_of(db_session, started.session_id)
    assert checkout.status == "paid" and checkout.payment_id == payment.id and checkout.fee_borne_by == "agency"
    state = checkout_status(started.session_id, case=case)
    assert state.status == "paid" and state.payment_reference == payment.reference
    run_jobs()  # the receipt, and the fee asked of Stripe once the payment is recorded
    db_session.refresh(payment)
    assert payment.receipt_path  # receipted like any payment
    checkout = checkout_of(db_session, started.session_id)
    assert checkout.fee_cents == (50_000 * FEE_BP + 5000) // 10000 + FEE_FIXED_CENTS


def test_a_declined_card_marks_the_checkout_and_records_nothing_until_another_card_pays(
        client, db_session, case, fake_stripe):
    started = open_page(db_session, case, "own", 12_000)
    assert click(started.url, "decline").status_code == 402
    [declined] = fake_stripe.outbox
    assert declined.event["type"] == "payment_intent.payment_failed"
    assert post_event(client, declined).get_json()["outcome"] == "marked"
    state = checkout_status(started.session_id, case=case)
    assert state.status == "failed" and "declined" in state.failure_reason
    assert payments_of(db_session, case) == []

    # The page stays open: a second card pays it.
    assert click(started.url, "pay").status_code == 303
    assert post_event(client, fake_stripe.outbox[-1]).get_json()["outcome"] == "recorded"
    [payment] = payments_of(db_session, case)
    assert payment.amount_cents == 12_000 and ledger.balance(case.id).outstanding == 38_000
    # A late copy of the decline never takes the payment back.
    late = json.loads(declined.payload)
    late["id"] = "evt_late_decline"
    body = json.dumps(late).encode()
    assert post_event(client, declined, payload=body).get_json()["outcome"] == "unchanged"
    assert checkout_of(db_session, started.session_id).status == "paid"


def test_an_expired_page_records_nothing(client, db_session, case, fake_stripe):
    started = open_page(db_session, case)
    fake_stripe.expire(started.session_id)
    [expired] = fake_stripe.outbox
    assert post_event(client, expired).get_json()["outcome"] == "marked"
    assert checkout_status(started.session_id, case=case).status == "expired"
    assert payments_of(db_session, case) == [] and ledger.balance(case.id).outstanding == 50_000


def test_the_same_event_delivered_twice_records_one_payment(client, db_session, case, fake_stripe):
    started = open_page(db_session, case, "own", 20_000)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    assert post_event(client, delivery).get_json()["outcome"] == "recorded"
    again = post_event(client, delivery)  # Stripe's retry: the same event, signed anew
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert len(payments_of(db_session, case)) == 1
    assert ledger.balance(case.id).outstanding == 30_000
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent)) == 1


def test_two_events_saying_one_session_was_paid_record_one_payment(client, db_session, case, fake_stripe):
    started = open_page(db_session, case)
    click(started.url, "pay")
    [completed] = fake_stripe.outbox
    assert post_event(client, completed).get_json()["outcome"] == "recorded"
    other = json.loads(completed.payload)
    other.update(id="evt_async_succeeded", type="checkout.session.async_payment_succeeded")
    answer = post_event(client, completed, payload=json.dumps(other).encode())
    assert answer.get_json()["outcome"] == "already_paid"
    assert len(payments_of(db_session, case)) == 1


@pytest.mark.parametrize("signature", [
    None,  # unsigned
    "t=1,v1=" + "0" * 64,  # made up
    "garbage",
    "wrong secret",
])
def test_a_webhook_not_signed_with_our_secret_is_refused_and_changes_nothing(
        client, db_session, case, fake_stripe, signature):
    started = open_page(db_session, case)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    if signature == "wrong secret":
        signature = sign(delivery.payload, "whsec_someone_else")
    response = post_event(client, delivery, signature=signature)
    assert response.status_code == 400
    assert payments_of(db_session, case) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent)) == 0
    assert checkout_status(started.session_id, case=case).status == "pending"
    # The genuine delivery is still taken afterwards.
    assert post_event(client, delivery).get_json()["outcome"] == "recorded"


def test_a_tampered_body_is_refused(client, db_session, case, fake_stripe):
    started = open_page(db_session, case, "own", 2_000)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    forged = delivery.payload.replace(b'"amount_total": 2000', b'"amount_total": 200000')
    assert forged != delivery.payload
    # Stripe's signature over the genuine body, sent with another body.
    assert post_event(client, delivery, signature=sign(delivery.payload, SECRET), payload=forged).status_code == 400
    assert payments_of(db_session, case) == []


def test_a_replayed_delivery_is_refused(client, db_session, case, fake_stripe, clock):
    started = open_page(db_session, case)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    # Captured as sent, played back six minutes later: beyond Stripe's five minutes of tolerance.
    captured = delivery.signature
    clock.shift(timedelta(minutes=6))
    assert post_event(client, delivery, signature=captured).status_code == 400
    old = sign(delivery.payload, SECRET, timestamp=int(delivery.event["created"]) - 3600)
    assert post_event(client, delivery, signature=old).status_code == 400
    assert payments_of(db_session, case) == []


def test_a_webhook_before_the_return_shows_the_payment_on_return(client, db_session, case, fake_stripe):
    started = open_page(db_session, case, "own", 5_000)
    answer = click(started.url, "pay")
    post_event(client, fake_stripe.outbox[0])
    # The debtor's browser comes back after the event: the return page finds it paid.
    assert started.session_id in answer.headers["Location"]
    state = checkout_status(started.session_id, case=case)
    assert state.status == "paid" and state.amount_cents == 5_000


def test_a_return_without_a_webhook_records_no_money(client, db_session, case, fake_stripe):
    started = open_page(db_session, case)
    click(started.url, "pay")
    for _ in range(3):  # the debtor reloads the return page
        assert checkout_status(started.session_id, case=case).status == "pending"
    assert payments_of(db_session, case) == [] and ledger.balance(case.id).outstanding == 50_000


def test_a_session_is_read_only_with_its_own_case(db_session, case, fake_stripe):
    from tests import factories

    started = open_page(db_session, case)
    other = factories.case(amounts=(1_000,))
    assert checkout_status(started.session_id, case=other) is None
    assert checkout_status("cs_test_unknown", case=case) is None


def test_stripe_away_opens_nothing(db_session, case, fake_stripe):
    fake_stripe.failing_creates = 1
    with pytest.raises(OnlinePaymentError, match="indisponible"):
        start_checkout(case, None, purpose="full", success_url=SUCCESS_URL, cancel_url=CANCEL_URL,
                       actor_label="debtor (space)")
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Checkout)) == 0


def test_an_event_of_no_checkout_of_ours_is_kept_unmatched(client, db_session, case, fake_stripe):
    started = open_page(db_session, case)
    click(started.url, "pay")
    event = json.loads(fake_stripe.outbox[0].payload)
    event["id"] = "evt_stranger"
    event["data"]["object"].update(id="cs_test_stranger", client_reference_id="CO-stranger", metadata={})
    answer = post_event(client, fake_stripe.outbox[0], payload=json.dumps(event).encode())
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unmatched"
    assert payments_of(db_session, case) == []


def test_events_we_do_not_act_on_are_acknowledged(client, db_session, case, fake_stripe):
    started = open_page(db_session, case)
    click(started.url, "pay")
    event = json.loads(fake_stripe.outbox[0].payload)
    event.update(id="evt_charge", type="charge.succeeded")
    answer = post_event(client, fake_stripe.outbox[0], payload=json.dumps(event).encode())
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "ignored"
    assert payments_of(db_session, case) == []


def test_a_card_fee_the_client_bears_is_deducted_once_in_its_statement(client, db_session, case, fake_stripe,
                                                                        run_jobs):
    from money.models import RemittanceLine
    from money.remittances.documents import statement_csv
    from money.remittances.statements import run_remittances
    from money.remittances.trust import trust_position

    mandate = case.client.active_mandate(case.opened_on)
    mandate.card_fee_borne_by = "client"
    started = open_page(db_session, case)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    assert post_event(client, delivery).status_code == 200
    run_jobs()  # the fee, asked of Stripe once the payment is recorded
    checkout = checkout_of(db_session, started.session_id)
    fee = (50_000 * FEE_BP + 5000) // 10000 + FEE_FIXED_CENTS
    assert (checkout.fee_borne_by, checkout.fee_cents) == ("client", fee)
    [payment] = payments_of(db_session, case)

    [statement] = run_remittances(date(2026, 12, 31))
    kinds = {line.kind: line for line in db_session.scalars(
        sa.select(RemittanceLine).where(RemittanceLine.remittance_id == statement.id))}
    assert kinds["card_fee"].amount_cents == -fee and kinds["card_fee"].payment_id == payment.id
    assert statement.trust_collected_cents == 50_000 - fee
    assert statement.net_cents == 50_000 - fee - statement.commission_cents - statement.vat_cents
    assert f"frais de paiement par carte;compte de l'agence;07/12/2026;{payment.reference};-{fee / 100:.2f}".replace(
        ".", ",") in statement_csv(statement)
    assert run_remittances(date(2027, 1, 31)) == []  # deducted once
    position = trust_position()
    assert position.card_fees_cents == fee and position.balanced


def test_a_card_fee_the_agency_bears_leaves_the_client_its_whole_payment(client, db_session, case, fake_stripe,
                                                                         run_jobs):
    from money.remittances.statements import run_remittances

    started = open_page(db_session, case)
    click(started.url, "pay")
    [delivery] = fake_stripe.outbox
    post_event(client, delivery)
    run_jobs()
    assert checkout_of(db_session, started.session_id).fee_cents > 0
    [statement] = run_remittances(date(2026, 12, 31))
    assert statement.trust_collected_cents == 50_000
