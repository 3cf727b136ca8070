"""The collector's case page from the queue: the call bar shows without scrolling on a 1440×900 screen, the
keyboard shortcuts work, and on a 390 px phone neither the case page nor the queue scrolls sideways.

These tests take and finish cases, so they run against a live server of their own, with contact rules open
at every hour so that the queue hands out cases whenever the suite runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import serve
from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "claire.appel@amiable.example.com"
WIDE, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


@dataclass(frozen=True)
class PageWorld:
    url: str
    first: int  # the most urgent case of the collector's queue
    second: int
    references: tuple[str, ...]


def _seed() -> dict:
    from agency.db import db, utcnow
    from debtors.models import ContactProfile

    profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    profile.windows = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
    profile.no_contact_on_holidays = False
    profile.call_cap = None
    collector = factories.user("collector", email=COLLECTOR, name="Claire Appel")
    client = factories.client(code="FROM", name="Fromagerie des Alpes SAS")
    factories.agency_profile()
    cases = []
    for i, (first, last, amounts) in enumerate([("Sophie", "Durand-Montgolfier", (184_000, 36_050, 7_990)),
                                                 ("Paul", "Girard", (45_000,))]):
        debtor = factories.debtor(first_name=first, last_name=last, title="Mme" if i == 0 else "M.")
        factories.contact(debtor, "phone", f"+3361234567{i}", label="mobile", is_primary=True, status="valid")
        factories.contact(debtor, "phone", f"+3347800000{i}", label="domicile")
        factories.postal_address(debtor)
        case = factories.case(client, debtor, amounts=amounts, opened_on=date(2026, 9, 1),
                              client_reference=f"CL-88{i}")
        case.status = "active"
        case.assigned_collector = collector
        case.queue_score = 500 - i * 100
        case.next_action_at = utcnow() - timedelta(hours=2)
        cases.append(case)
    db.session.flush()
    factories.payment(cases[0], 25_000, receipt=False)
    factories.letter(cases[0])
    cases[0].callback_at = utcnow() - timedelta(hours=1)  # asked for an hour ago: late
    db.session.commit()
    return {"first": cases[0].id, "second": cases[1].id, "references": tuple(c.reference for c in cases)}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PageWorld]:
    with serve(tmp_path_factory.mktemp("e2e-case-page"), _seed) as (url, seeded):
        yield PageWorld(url=url, **seeded)


def _page(browser: Browser, world: PageWorld, viewport: dict):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=world.url, viewport=viewport)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _in_view(page: Page, selector: str) -> bool:
    """Whether the element is entirely inside the window as it opens (no scrolling)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    size = page.viewport_size
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"]


def _no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in a {widths[1]} px window"


def test_from_the_queue_the_call_bar_shows_at_once_and_the_shortcuts_work(browser: Browser, world):
    context, page = _page(browser, world, WIDE)
    try:
        sign_in(page, COLLECTOR)
        page.goto("/queue/")
        page.get_by_test_id("next").click()
        page.wait_for_url(re.compile(rf"/cases/{world.first}\?from=queue$"))
        for selector in ("[data-testid=finish-next]", "a[data-dial]", "select[name=outcome]", "[data-testid=record-call]",
                         "[data-testid=work-panel] a[href$='/promise']", "[data-testid=shortcuts]"):
            assert _in_view(page, selector), selector
        expect(page.locator("select[name=outcome]")).to_be_focused()
        expect(page.get_by_test_id("shortcuts")).to_contain_text("Raccourcis")
        expect(page.get_by_test_id("callback")).to_contain_text("Rappel en retard")
        expect(page.get_by_test_id("score-parts")).to_be_visible()
        screenshot(page, "collector-case-page-1440")

        page.keyboard.press("Alt+KeyP")  # the promise: its first amount takes the cursor
        expect(page.locator("select[name=outcome]")).to_have_value("promise")
        expect(page.locator("input[name='instalments-0-amount']")).to_be_focused()
        page.keyboard.press("Alt+KeyR")
        expect(page.locator("select[name=outcome]")).to_be_focused()
        page.select_option("select[name=outcome]", "no_answer")
        page.fill("textarea[name=note]", "Messagerie pleine")
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")  # typed in the note: records the call
        expect(page.locator(".alert-success")).to_contain_text("Appel enregistré")
        history = page.get_by_test_id("history")
        expect(history).to_contain_text("Pas de réponse")
        expect(history).to_contain_text("Messagerie pleine")
        expect(history.locator("[data-event=payment]")).to_have_count(1)
        expect(history.get_by_test_id("history-letter")).to_contain_text("Généré")

        with page.expect_navigation():
            page.keyboard.press("Alt+KeyS")  # finish and next case
        page.wait_for_url(re.compile(rf"/cases/{world.second}\?from=queue$"))
        expect(page.locator("select[name=outcome]")).to_be_focused()
    finally:
        context.close()


@pytest.mark.parametrize("where", ["case", "queue"])
def test_no_page_of_the_collector_scrolls_sideways_on_a_phone(browser: Browser, world, where):
    context, page = _page(browser, world, PHONE)
    try:
        sign_in(page, COLLECTOR)
        page.goto(f"/cases/{world.first}" if where == "case" else "/queue/")
        expect(page.locator("main h1")).to_be_visible()
        _no_sideways_scroll(page)
        if where == "case":
            ledger = page.get_by_test_id("ledger")
            expect(ledger).to_be_visible()
            box = ledger.bounding_box()
            assert box["x"] + box["width"] <= PHONE["width"]  # the case account fits, it is not scrolled inside a box
        screenshot(page, f"collector-{where}-390")
    finally:
        context.close()
