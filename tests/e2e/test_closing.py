"""The end of a case in the real browser: a client user recalls a case from its portal and posts a credit note on
another (interest then runs on the reduced principal; a credit note above what is left is refused, the field
named); a manager closes a case with its reason and evidence, then reopens it (the balance comes back).

The server's clock is set (time-machine, in this process: the live server runs on a thread of it) to
7 December 2026, so that the invoices' interest periods and the credit note's date are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, squash, switch_user

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

PARIS = ZoneInfo("Europe/Paris")
MANAGER = "sophie.cloture@amiable.example.com"
CLIENT_USER = "comptabilite@fournitures-garnier.example.com"
CLOSED = "Clôturé impayé"


@dataclass(frozen=True)
class ClosingWorld:
    url: str
    recall_case_id: int
    credit_case_id: int
    credit_invoice: str
    close_case_id: int


def _seed() -> dict:
    from agency.db import db

    factories.agency_profile()
    garnier = factories.client(code="GARNIER", name="Fournitures Garnier SAS")
    garnier.mandates[0].recall_fee_cents = 5_000  # €50 excl. VAT a recall, no notice: the case closes at once
    factories.user("manager", email=MANAGER, name="Sophie Clôture")
    factories.user("client", client=garnier, email=CLIENT_USER, name="Marc Garnier")
    recall = factories.case(garnier, factories.debtor(first_name="Hélène", last_name="Roux"), amounts=(120_000,))
    # Due 1 July 2026, between traders: interest at the ECB rate + 10 points from 2 July.
    credit = factories.case(garnier, factories.debtor("company", company_name="Menuiserie Vidal SARL"),
                            amounts=(1_000_000,), opened_on=date(2026, 8, 30), kind="b2b")
    close = factories.case(garnier, factories.debtor(first_name="Yves", last_name="Lemaire"), amounts=(240_000,))
    for case in (recall, credit, close):
        case.status = "active"
    db.session.commit()
    return {"recall_case_id": recall.id, "credit_case_id": credit.id,
            "credit_invoice": credit.claims[0].invoice_number, "close_case_id": close.id}


@pytest.fixture(scope="module")
def clock() -> Iterator[time_machine.Coordinates]:
    traveller = time_machine.travel(datetime(2026, 12, 7, 9, 30, tzinfo=PARIS), tick=True)
    yield traveller.start()
    traveller.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, clock) -> Iterator[ClosingWorld]:
    with serve(tmp_path_factory.mktemp("e2e-closing"), _seed) as (url, seeded):
        yield ClosingWorld(url=url, **seeded)


@pytest.fixture
def page(browser: Browser, world: ClosingWorld) -> Iterator[Page]:
    with open_page(browser, world.url) as tab:
        yield tab


def status_badge(page: Page):
    return page.locator("[data-testid=case-reference] + .badge")


def open_details(page: Page, testid: str):
    details = page.get_by_test_id(testid)
    if not details.get_attribute("open"):
        details.locator("summary").click()
    return details


def test_a_client_recalls_a_case_from_its_portal(page: Page, world: ClosingWorld):
    sign_in(page, CLIENT_USER)
    page.goto(f"/cases/{world.recall_case_id}")
    recall = open_details(page, "recall-case")
    expect(recall).to_contain_text("50,00")  # the mandate's recall fee, said before the client recalls
    recall.locator("textarea[name=reason]").fill("Accord trouvé directement avec la cliente")
    screenshot(page, "closing-client-recall")
    with page.expect_navigation():
        recall.get_by_role("button", name="Retirer le dossier").click()
    expect(page.locator(".alert-success")).to_contain_text("Dossier retiré : il est clôturé.")
    expect(status_badge(page)).to_have_text(CLOSED)
    panel = page.get_by_test_id("client-decisions")
    expect(panel.get_by_test_id("recall")).to_contain_text("Retiré")
    expect(panel.get_by_test_id("recall-fee")).to_contain_text("50,00")
    expect(panel.get_by_test_id("recall-case")).to_have_count(0)  # once is enough
    screenshot(page, "closing-client-recalled")


def test_a_client_posts_a_credit_note_and_interest_runs_on_what_is_left(page: Page, world: ClosingWorld):
    sign_in(page, CLIENT_USER)
    page.goto(f"/cases/{world.credit_case_id}")
    form = open_details(page, "credit-note")
    expect(form.locator("select[name=claim]")).to_contain_text("10 000,00")

    # More than the invoice's principal: refused, the field named, nothing recorded.
    form.locator("input[name=amount]").fill("10 000,01")
    form.locator("input[name=reference]").fill("AV-2026-0917")
    form.locator("input[name=issued_on]").fill("2026-09-01")
    with page.expect_navigation():
        form.get_by_role("button", name="Déposer l'avoir").click()
    error = page.locator(".alert-danger")
    expect(error).to_contain_text("Montant de l'avoir (€)")
    expect(error).to_contain_text(world.credit_invoice)
    expect(error).to_contain_text("10 000,00")
    expect(page.get_by_test_id("credit-notes")).to_have_count(0)
    screenshot(page, "closing-credit-note-refused")

    form = open_details(page, "credit-note")
    form.locator("input[name=amount]").fill("4 000")
    form.locator("input[name=reference]").fill("AV-2026-0917")
    form.locator("input[name=issued_on]").fill("2026-09-01")
    with page.expect_navigation():
        form.get_by_role("button", name="Déposer l'avoir").click()
    expect(page.locator(".alert-success")).to_contain_text("la facture est réduite")
    notes = page.get_by_test_id("credit-notes")
    expect(notes).to_contain_text("AV-2026-0917")
    expect(notes).to_contain_text("4 000,00")
    expect(status_badge(page)).not_to_have_text(CLOSED)
    expect(open_details(page, "credit-note").locator("select[name=claim]")).to_contain_text("6 000,00")
    screenshot(page, "closing-credit-note-posted")

    # The agency's interest card: 10,000 € up to the credit note's date, 6,000 € from the day after.
    switch_user(page, MANAGER)
    page.goto(f"/cases/{world.credit_case_id}#interest")
    rows = page.get_by_test_id("interest").locator(f"[data-claim='{world.credit_invoice}'] tbody tr")
    periods = [squash(text) for text in rows.all_inner_texts()]
    assert periods, "no interest period shown"
    before = [p for p in periods if p.startswith(("02/07/2026", "01/07/2026"))]
    after = [p for p in periods if p.startswith("02/09/2026")]
    assert before and "10 000,00" in before[0] and "01/09/2026" in before[0], periods
    assert after and "6 000,00" in after[0] and "07/12/2026" in after[-1], periods
    screenshot(page, "closing-credit-note-interest")


def balance_due(page: Page) -> str:
    return squash(page.get_by_test_id("outstanding").inner_text())


def test_a_manager_closes_a_case_with_its_evidence_and_reopens_it(page: Page, world: ClosingWorld):
    sign_in(page, MANAGER)
    page.goto(f"/cases/{world.close_case_id}")
    owed = balance_due(page)
    assert "2 400,00" in owed, owed

    # A reason that needs its evidence, without it: refused, the case stays open.
    close = open_details(page, "close-case")
    close.locator("select[name=reason]").select_option("unfindable")
    with page.expect_navigation():
        close.get_by_role("button", name="Clore le dossier").click()
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(status_badge(page)).not_to_have_text(CLOSED)

    close = open_details(page, "close-case")
    close.locator("select[name=reason]").select_option("unfindable")
    close.locator("textarea[name=evidence]").fill("Courrier revenu NPAI le 12/11/2026, numéros invalides, "
                                                   "aucune adresse nouvelle (enquête du 20/11/2026)")
    screenshot(page, "closing-manager-close")
    with page.expect_navigation():
        close.get_by_role("button", name="Clore le dossier").click()
    expect(page.locator(".alert-success")).to_contain_text("Dossier clos : son solde est abandonné.")
    expect(status_badge(page)).to_have_text(CLOSED)
    closed = page.get_by_test_id("closing")
    expect(closed.get_by_test_id("closing-closed")).to_contain_text("Débiteur introuvable")
    expect(closed).to_contain_text("Courrier revenu NPAI")
    expect(closed).to_contain_text("2 400,00")
    assert "0,00" in balance_due(page) and "2 400" not in balance_due(page)
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Clôturé impayé · Débiteur introuvable")
    expect(history).to_contain_text("Solde abandonné : 2 400,00")
    expect(page.get_by_test_id("ledger")).not_to_contain_text("unfindable")  # the reason in words, not its code
    screenshot(page, "closing-manager-closed")

    reopen = open_details(page, "reopen")
    reopen.locator("textarea[name=reason]").fill("Nouvelle adresse communiquée par le client")
    with page.expect_navigation():
        reopen.get_by_role("button", name="Rouvrir").click()
    expect(page.locator(".alert-success")).to_contain_text("rouvert")
    expect(status_badge(page)).not_to_have_text(CLOSED)
    assert balance_due(page) == owed
    expect(page.get_by_test_id("close-case")).to_be_visible()
    expect(page.get_by_test_id("history").locator("li").first).to_contain_text(
        "Rouvert · Nouvelle adresse communiquée par le client")
    screenshot(page, "closing-manager-reopened")
