"""The judicial route in the real browser: a collector proposes it, a manager approves, the client approves in
its portal, the file is prepared, the steps are recorded to an enforceable title, and a payment closes it.

The server's clock is set (time-machine, in this process: the live server runs on a thread of it) to
7 December 2026, then moved on to the days the court acts; each move signs the users in again, as
sessions and CSRF tokens do not survive three months.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, squash, switch_user

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

PARIS = ZoneInfo("Europe/Paris")
COLLECTOR = "lea.contentieux@amiable.example.com"
MANAGER = "paul.responsable@amiable.example.com"
CLIENT_USER = "direction@transports-lebrun.example.com"
LITIGATION = "Phase judiciaire"  # the case's status once both approved


@dataclass(frozen=True)
class JudicialWorld:
    url: str
    case_id: int
    case_reference: str


def _seed() -> dict:
    from agency.db import db
    from cases.models import Letter

    factories.agency_profile()
    lebrun = factories.client(code="LEBRUN", name="Transports Lebrun SAS", siren="552100554")
    lebrun.mandates[0].judicial_allowed = True
    factories.user("collector", email=COLLECTOR, name="Léa Contentieux")
    factories.user("manager", email=MANAGER, name="Paul Responsable")
    factories.user("client", client=lebrun, email=CLIENT_USER, name="Claire Lebrun")
    garage = factories.debtor("company", company_name="Garage Perrin SARL", siren="732829320")
    factories.postal_address(garage, address_line1="8 avenue Jean Jaurès", postcode="69007", city="Lyon")
    case = factories.case(lebrun, garage, amounts=(640_000, 260_000), kind="b2b", opened_on=date(2026, 6, 1))
    case.status = "active"
    db.session.add(Letter(case=case, client_id=case.client_id, kind="formal_notice", status="recorded",
                          reference="MED-LEBRUN-1", issued_on=date(2026, 11, 2), pay_by=date(2026, 11, 17),
                          principal_cents=900_000))
    db.session.commit()
    return {"case_id": case.id, "case_reference": case.reference}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(scope="module")
def clock() -> Iterator[time_machine.Coordinates]:
    traveller = time_machine.travel(at(2026, 12, 7, 9, 30), tick=True)
    yield traveller.start()
    traveller.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, clock) -> Iterator[JudicialWorld]:
    with serve(tmp_path_factory.mktemp("e2e-judicial"), _seed) as (url, seeded):
        yield JudicialWorld(url=url, **seeded)


@pytest.fixture
def browser_page(browser: Browser, world: JudicialWorld) -> Iterator[Page]:
    with open_page(browser, world.url) as tab:
        yield tab


def as_user(page: Page, email: str, case_id: int | None = None) -> None:
    switch_user(page, email)
    if case_id is not None:
        page.goto(f"/cases/{case_id}#judicial")


def record_step(page: Page, kind: str, on: str, **fields: str) -> None:
    form = page.get_by_test_id("judicial-step-form")
    if not form.get_attribute("open"):
        form.locator("summary").click()
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=occurred_on]").fill(on)
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.get_by_role("button", name="Enregistrer l'étape").click()
    expect(page.locator(".alert-success")).to_contain_text("Étape enregistrée")


def test_the_whole_judicial_path_to_a_title_and_a_payment(browser_page: Page, world: JudicialWorld, clock):
    page = browser_page
    # The collector sees the suggested route and why, and proposes it.
    as_user(page, COLLECTOR, world.case_id)
    panel = page.get_by_test_id("judicial")
    expect(panel.get_by_test_id("judicial-suggestion")).to_have_text("Injonction de payer — tribunal de commerce")
    expect(panel).to_contain_text("entre commerçants")
    screenshot(page, "judicial-suggestion")
    panel.get_by_role("button", name="Proposer la voie judiciaire").click()
    expect(page.get_by_test_id("judicial-stage")).to_have_text("Proposée, en attente de l'accord de l'agence")

    # The manager approves, naming the court; nothing starts before the client's approval.
    as_user(page, MANAGER, world.case_id)
    approve = page.get_by_test_id("judicial-approve")
    approve.locator("input[name=court]").fill("Président du tribunal de commerce de Lyon")
    approve.get_by_role("button", name="Approuver et demander l'accord du client").click()
    expect(page.get_by_test_id("judicial-stage")).to_have_text("En attente de l'accord du client")
    expect(page.locator("[data-testid=case-reference] + .badge")).not_to_have_text(LITIGATION)

    # The client approves in its portal.
    as_user(page, CLIENT_USER)
    page.get_by_test_id("judicial-to-decide").click()
    card = page.get_by_test_id("proceeding-to-decide")
    expect(card).to_contain_text("Président du tribunal de commerce de Lyon")
    expect(card).to_contain_text("Cerfa 12946*02")
    screenshot(page, "judicial-client-decision")
    card.get_by_test_id("approve").click()
    expect(page.locator(".alert-success")).to_contain_text("l'agence prépare le dossier")
    expect(page.get_by_test_id("no-proceedings")).to_be_visible()

    # The collector prepares the file and files the request.
    as_user(page, COLLECTOR, world.case_id)
    expect(page.locator("[data-testid=case-reference] + .badge")).to_have_text(LITIGATION)
    page.get_by_test_id("judicial-pack-form").get_by_role("button").click()
    pack = page.get_by_test_id("judicial-pack")
    expect(pack).to_be_visible()
    response = page.request.get(pack.get_by_role("link", name=re.compile("complet")).get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = squash(subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.body(), capture_output=True,
                                 check=True).stdout.decode())
    for expected in ("Cerfa 12946*02", "Transports Lebrun SAS", "Garage Perrin SARL", "6 400,00 €", "2 600,00 €",
                     "Président du tribunal de commerce de Lyon"):
        assert expected in text, expected
    record_step(page, "filed", "2026-12-07", note="Requête déposée au greffe de Lyon")

    # The order is issued on 12 January 2027: three months to serve it (décret 2026-96).
    clock.move_to(at(2027, 1, 15, 10, 0))
    as_user(page, COLLECTOR, world.case_id)
    record_step(page, "order_issued", "2027-01-12", number="2027/00412", principal="9 000,00", costs="33,47")
    deadline = page.get_by_test_id("judicial-deadline").first
    expect(deadline).to_contain_text("12 avril 2027")
    clock.move_to(at(2027, 1, 21, 10, 0))
    as_user(page, COLLECTOR, world.case_id)
    record_step(page, "served", "2027-01-20")
    expect(page.get_by_test_id("judicial-deadline").last).to_contain_text("20 mars 2027")
    screenshot(page, "judicial-served")

    # Two months after service without opposition, the order is enforceable: its costs reach the debtor.
    clock.move_to(at(2027, 3, 22, 10, 0))
    as_user(page, COLLECTOR, world.case_id)
    record_step(page, "enforceable", "2027-03-20")
    expect(page.get_by_test_id("judicial-stage")).to_have_text("Titre exécutoire")
    expect(page.get_by_test_id("judicial-title")).to_contain_text("2027/00412")
    screenshot(page, "judicial-enforceable")

    # The debtor pays everything (the interest accrued to the payment's day is posted when it comes, so what
    # is left after the first transfer is paid by a second): the proceeding and the case are paid.
    for reference in ("VIR PERRIN 1", "VIR PERRIN SOLDE"):
        outstanding = squash(page.get_by_test_id("outstanding").inner_text()).replace("€", "").strip()
        form = page.get_by_test_id("payments-panel").get_by_test_id("payment-form")
        form.locator("input[name=amount]").fill(outstanding)
        form.locator("input[name=payer_reference]").fill(reference)
        with page.expect_navigation():
            form.locator("input[type=submit]").click()
        page.goto(f"/cases/{world.case_id}#judicial")
    expect(page.get_by_test_id("judicial-earlier")).to_contain_text("Réglé")
    expect(page.get_by_test_id("outstanding")).to_have_text(re.compile(r"0,00"))
    screenshot(page, "judicial-paid")
