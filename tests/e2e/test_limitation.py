"""Limitation in the real browser: the case page's card (a prescribed case proposes closing), the client's view of
it in its portal, and the managers' list of claims nearing their limitation date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, switch_user

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

MANAGER = "paul.responsable@amiable.example.com"
CLIENT_USER = "direction@transports-lebrun.example.com"


def _seed() -> dict:
    from agency.clock import today
    from agency.db import db
    from cases.closing.limitation import refresh_limitations
    from cases.models import JudicialStep, Proceeding

    lebrun = factories.client(code="LEBRUN", name="Transports Lebrun SAS")
    other = factories.client(code="MARTIN", name="Martin Distribution")
    factories.user("manager", email=MANAGER, name="Paul Responsable")
    factories.user("client", client=lebrun, email=CLIENT_USER, name="Claire Lebrun")
    cases = {}
    for name, creditor, due, kind in (("prescribed", lebrun, date(2024, 3, 1), "b2c"),
                                      ("near", lebrun, date(2025, 1, 20), "b2c"),
                                      ("served", other, date(2021, 6, 30), "b2b")):
        case = factories.case(creditor, amounts=(120_000, 45_000), kind=kind, opened_on=date(2026, 3, 1))
        for claim in case.claims:
            claim.due_date = due
        cases[name] = case
    proceeding = Proceeding(reference="JUD-LIM-1", case_id=cases["served"].id, client_id=other.id,
                            route="order_commercial", suggested_route="order_commercial", stage="served")
    db.session.add(proceeding)
    db.session.flush()
    db.session.add(JudicialStep(proceeding_id=proceeding.id, kind="served", occurred_on=date(2026, 5, 12)))
    db.session.flush()
    refresh_limitations(today())
    db.session.commit()
    return {name: case.id for name, case in cases.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    traveller = time_machine.travel(datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/Paris")), tick=True)
    traveller.start()
    with serve(tmp_path_factory.mktemp("e2e-limitation"), _seed) as served:
        yield served
    traveller.stop()


@pytest.fixture
def tab(browser: Browser, world) -> Iterator[Page]:
    with open_page(browser, world[0]) as page:
        yield page


def test_the_manager_sees_the_card_and_the_list_and_the_client_its_own_case(tab: Page, world):
    ids = world[1]
    sign_in(tab, MANAGER)
    tab.goto(f"/cases/{ids['prescribed']}")
    card = tab.get_by_test_id("limitation")
    expect(card.get_by_test_id("prescribed")).to_contain_text("Prescrit : proposer la clôture.")
    screenshot(tab, "limitation-case-prescribed")
    tab.goto(f"/cases/{ids['served']}")
    expect(tab.get_by_test_id("limitation").get_by_test_id("limitation-event").first).to_contain_text(
        "Signification de l'injonction de payer")
    tab.goto("/limitation")
    rows = tab.get_by_test_id("limitation-row")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("prescrite")
    screenshot(tab, "limitation-list")
    switch_user(tab, CLIENT_USER)
    tab.goto(f"/cases/{ids['near']}")
    expect(tab.get_by_test_id("limitation").get_by_test_id("limitation-date").first).to_have_text("20 janv. 2027")
    screenshot(tab, "limitation-client-portal")
