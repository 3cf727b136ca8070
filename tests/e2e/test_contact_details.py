"""Contact details and returned mail in the real browser: a collector adds a phone, is told at the field about a
bad postcode, records a returned letter and finds the case in the list of addresses to find."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "lea.gestionnaire@amiable.example.com"


def _seed() -> dict:
    from agency.db import db
    from cases.letters.dispatch import mark_letter

    collector = factories.user("collector", email=COLLECTOR, name="Léa Gestionnaire")
    client = factories.client(code="LEBRUN", name="Transports Lebrun SAS")
    debtor = factories.debtor(first_name="Jeanne", last_name="Moreau", title="Mme")
    case = factories.case(client, debtor_row=debtor, amounts=(84_500,))
    factories.contact(debtor, "email", "jeanne.moreau@exemple.fr", source="placement", learned_on=date(2026, 3, 1))
    letter = factories.letter(case, days_ago=20)
    mark_letter(letter, "sent", actor=collector)
    db.session.commit()
    return {"case": case.id, "debtor": debtor.id, "reference": case.reference, "letter": letter.id}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    traveller = time_machine.travel(datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/Paris")), tick=True)
    traveller.start()
    with serve(tmp_path_factory.mktemp("e2e-contacts"), _seed) as served:
        yield served
    traveller.stop()


@pytest.fixture
def page(browser: Browser, world) -> Iterator[Page]:
    with open_page(browser, world[0]) as tab:
        yield tab


def test_a_collector_adds_a_phone_records_a_return_and_finds_the_case_to_research(page: Page, world):
    seeded = world[1]
    sign_in(page, COLLECTOR)
    page.goto(f"/cases/{seeded['case']}")
    page.get_by_test_id("letter-returned-form").locator("summary").click()
    page.fill(f"#returned-{seeded['letter']}", "2026-12-04")
    page.get_by_role("button", name="Enregistrer le retour").click()
    expect(page.get_by_test_id("letter-returned")).to_contain_text("revenue (NPAI) le 04/12/2026")
    page.get_by_test_id("edit-contacts").click()
    page.get_by_test_id("add-phone").locator("summary").click()
    page.fill("#phone-number", "06 12 34 56 78")
    page.select_option("#phone-source", "research")
    page.fill("#phone-label", "portable")
    page.get_by_role("button", name="Ajouter le téléphone").click()
    expect(page.get_by_test_id("contact-points")).to_contain_text("06 12 34 56 78")
    expect(page.get_by_test_id("contact-points")).to_contain_text("courrier revenu (NPAI)")
    # A bad postcode: the form stays open with the message under the field, nothing added.
    page.get_by_test_id("add-address").locator("summary").click()
    page.fill("#address-line1", "10 quai Perrache")
    page.fill("#address-postcode", "6900")
    page.fill("#address-city", "Lyon")
    page.get_by_role("button", name="Ajouter l’adresse").click()
    expect(page.locator("#address-postcode + .invalid-feedback, #address-postcode ~ .invalid-feedback")).to_contain_text(
        "cinq chiffres")
    screenshot(page, "debtor-contact-forms")
    page.get_by_test_id("nav-follow-up").locator(".dropdown-toggle").click()
    page.get_by_test_id("nav-addresses").click()
    expect(page.get_by_test_id("address-to-find")).to_contain_text(seeded["reference"])
    screenshot(page, "addresses-to-find")
    # A new address takes the case off the list.
    page.get_by_role("link", name="Ajouter une adresse").click()
    page.get_by_test_id("add-address").locator("summary").click()
    page.fill("#address-line1", "10 quai Perrache")
    page.fill("#address-postcode", "69002")
    page.fill("#address-city", "Lyon")
    page.get_by_role("button", name="Ajouter l’adresse").click()
    expect(page.get_by_test_id("contact-points")).to_contain_text("10 quai Perrache")
    page.goto("/addresses/to-find")
    expect(page.get_by_test_id("addresses-to-find")).to_contain_text("Aucun dossier n’attend de nouvelle adresse.")
