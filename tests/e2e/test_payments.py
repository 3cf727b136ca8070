"""A collector records a debtor's payment from the case screen; the receipt is issued and the balance falls;
the client user sees the payment in its feed the same day.

Payments change balances, so these tests run against a live server of their own (seeded below).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "ines.encaissement@amiable.example.com"
MANAGER = "gerard.gestion@amiable.example.com"
CLIENT_USER = "tresorerie@ateliers-morel.example.com"


@dataclass(frozen=True)
class PaymentsWorld:
    url: str
    case_id: int  # a collector records a payment on it
    paid_case_reference: str  # it has a payment from the start
    seeded_payment: str
    declare_case_id: int  # the client declares a payment on it
    declare_case_reference: str
    bounced_case_id: int  # paid in full by a cheque that bounces
    twin_case_id: int  # a transfer is on it; the collector enters it a second time


def _seed_payments() -> dict:
    from agency.db import db

    factories.agency_profile()
    morel = factories.client(code="MOREL", name="Ateliers Morel SAS")
    collector = factories.user("collector", email=COLLECTOR, name="Inès Encaissement")
    factories.user("manager", email=MANAGER, name="Gérard Gestion")
    factories.user("client", client=morel, email=CLIENT_USER, name="Hugo Morel")
    debtor = factories.debtor(first_name="Paul", last_name="Girard", title="M")
    factories.postal_address(debtor)
    case = factories.case(morel, debtor, amounts=(180_000, 60_000), opened_on=date(2026, 9, 1))
    paid_case = factories.case(morel, factories.debtor(first_name="Léa", last_name="Caron"), amounts=(90_000,))
    seeded = factories.payment(paid_case, 30_000, payer_reference="VIR 2211")
    declare_case = factories.case(morel, factories.debtor(first_name="Noé", last_name="Faure"), amounts=(100_000,))
    for row in (case, paid_case, declare_case):
        row.status = "active"
    bounced_case = factories.case(morel, factories.debtor(first_name="Ugo", last_name="Perrin"), amounts=(45_000,))
    factories.payment(bounced_case, 45_000, method="cheque", payer_reference="CHQ 998877")
    twin_case = factories.case(morel, factories.debtor(first_name="Jade", last_name="Morin"), amounts=(120_000,))
    factories.payment(twin_case, 41_250, payer_reference="VIR SEPA MORIN 0412", actor=collector)
    twin_case.status = "active"
    db.session.commit()
    return {"case_id": case.id, "paid_case_reference": paid_case.reference, "seeded_payment": seeded.reference,
            "declare_case_id": declare_case.id, "declare_case_reference": declare_case.reference,
            "bounced_case_id": bounced_case.id, "twin_case_id": twin_case.id}


@pytest.fixture(scope="module")
def payments_world(tmp_path_factory) -> Iterator[PaymentsWorld]:
    with serve(tmp_path_factory.mktemp("e2e-payments"), _seed_payments) as (url, seeded):
        yield PaymentsWorld(url=url, **seeded)


@pytest.fixture
def page(browser: Browser, payments_world: PaymentsWorld) -> Iterator[Page]:
    with open_page(browser, payments_world.url) as tab:
        yield tab


def test_a_collector_records_a_payment_from_the_case_screen(page: Page, payments_world: PaymentsWorld):
    sign_in(page, COLLECTOR)
    page.goto(f"/cases/{payments_world.case_id}")
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"2\s400,00\s€"))
    panel = page.get_by_test_id("payments-panel")
    form = panel.get_by_test_id("payment-form")
    form.locator("input[name=amount]").fill("1 234,56")
    form.locator("select[name=method]").select_option("cheque")
    form.locator("input[name=payer_reference]").fill("CHQ 5512034")
    form.scroll_into_view_if_needed()
    screenshot(page, "case-payment-form")
    form.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{payments_world.case_id}#payments$"))

    expect(page.locator(".alert-success")).to_contain_text("enregistré")
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"1\s165,44\s€"))
    [payment] = panel.get_by_test_id("payment").all()
    expect(payment).to_contain_text("CHQ 5512034")
    expect(payment).to_contain_text("partiel")
    allocation = [squash(t) for t in payment.get_by_test_id("allocation").locator("li").all_inner_texts()]
    assert len(allocation) == 1 and allocation[0].endswith("Principal 1 234,56 €")
    receipt = payment.get_by_test_id("receipt-link")
    expect(receipt).to_be_visible()  # the receipt job ran inline
    response = page.request.get(receipt.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    expect(page.get_by_test_id("ledger").locator("[data-entry-kind=payment]")).to_have_count(1)
    screenshot(page, "case-after-payment")


def test_the_client_sees_the_payment_in_its_feed(page: Page, payments_world: PaymentsWorld):
    sign_in(page, CLIENT_USER)
    page.goto("/payments")
    row = page.locator(f"[data-testid=payment-row][data-reference='{payments_world.seeded_payment}']")
    expect(row).to_contain_text(payments_world.paid_case_reference)
    expect(row).to_contain_text(re.compile(r"300,00\s€"))
    expect(row).to_contain_text("partiel")
    screenshot(page, "client-payments-feed")


def test_the_client_declares_a_payment_made_to_it_directly(page: Page, payments_world: PaymentsWorld):
    sign_in(page, CLIENT_USER)
    page.goto(f"/cases/{payments_world.declare_case_id}")
    form = page.get_by_test_id("payments-panel").get_by_test_id("payment-form")
    expect(form.locator("select[name=channel]")).to_have_count(0)  # always "paid directly to the client"
    form.locator("input[name=amount]").fill("250,00")
    form.locator("select[name=method]").select_option("transfer")
    form.scroll_into_view_if_needed()
    screenshot(page, "client-declare-payment")
    form.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{payments_world.declare_case_id}#payments$"))
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"750,00\s€"))
    declared = page.get_by_test_id("payment").first
    expect(declared).to_contain_text("Payé directement au client")
    page.goto("/payments")
    rows = page.get_by_test_id("payment-row").filter(has_text=payments_world.declare_case_reference)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Payé directement au client")
    screenshot(page, "client-payments-feed-after-declaration")


def test_a_manager_reverses_a_bounced_cheque_and_the_case_reopens(page: Page, payments_world: PaymentsWorld):
    sign_in(page, MANAGER)
    page.goto("/payments?channel=trust")
    expect(page.get_by_test_id("payments-table")).to_contain_text("Compte de cantonnement")
    screenshot(page, "manager-payments-list")
    page.goto(f"/cases/{payments_world.bounced_case_id}")
    expect(page.locator(".badge", has_text="Réglé").first).to_be_visible()
    payment = page.get_by_test_id("payment").first
    payment.locator("summary").click()
    form = payment.get_by_test_id("reverse-form")
    form.locator("input[name=reason]").fill("Chèque impayé : provision insuffisante")
    screenshot(page, "case-reverse-form")
    form.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{payments_world.bounced_case_id}#payments$"))
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"450,00\s€"))
    expect(page.get_by_test_id("payment").first).to_contain_text("contre-passé")
    expect(page.get_by_test_id("payment").first).to_contain_text("provision insuffisante")
    expect(page.get_by_test_id("ledger").locator("[data-entry-kind=reversal]")).to_have_count(1)
    expect(page.locator(".badge", has_text="En cours").first).to_be_visible()  # reopened, back in the queue
    screenshot(page, "case-after-reversal")


def test_a_payment_entered_twice_is_recorded_again_only_when_confirmed(page: Page, payments_world: PaymentsWorld):
    sign_in(page, COLLECTOR)
    page.goto(f"/cases/{payments_world.twin_case_id}")
    form = page.get_by_test_id("payments-panel").get_by_test_id("payment-form")
    form.locator("input[name=amount]").fill("412,50")
    form.locator("input[name=payer_reference]").fill("VIR SEPA MORIN 0412")
    form.locator("input[type=submit]").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text("Ce paiement est peut-être déjà enregistré")
    details = squash(warning.get_by_test_id("duplicate-payment").inner_text())
    assert "412,50 €" in details and "VIR SEPA MORIN 0412" in details and "Inès Encaissement" in details
    screenshot(page, "payment-duplicate-warning")
    # Enter in a field sends the form's own button: checked again, still not recorded.
    page.locator("input[name=amount]").press("Enter")
    expect(page.get_by_test_id("duplicate-warning")).to_be_visible()
    page.get_by_test_id("confirm-duplicate").click()
    page.wait_for_url(re.compile(rf"/cases/{payments_world.twin_case_id}#payments$"))
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"375,00\s€"))
    expect(page.get_by_test_id("payments-panel").get_by_test_id("payment")).to_have_count(2)
