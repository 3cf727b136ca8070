"""A collector works the case list and reads a case file."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def case_count(page: Page) -> int:
    """Read the number in the list's "N dossiers" counter."""
    match = re.match(r"\d+", squash(page.get_by_test_id("case-count").inner_text()))
    assert match, page.get_by_test_id("case-count").inner_text()
    return int(match.group())


def listed_references(page: Page) -> list[str]:
    return [squash(t) for t in page.locator(".table-cases tbody tr td:first-child a").all_inner_texts()]


def search(page: Page, q: str = "", status: str = "") -> None:
    page.fill("#q", q)
    page.select_option("#status", status)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()


def test_collector_searches_and_filters_the_case_list(page: Page, live_server):
    sign_in(page, live_server.collector)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("whoami")).to_contain_text("Camille Recouvreur")
    everything = {c.reference for c in live_server.cases}
    assert case_count(page) == len(everything)
    assert set(listed_references(page)) == everything
    # Newest first; the first row's debtor and both clients are shown to staff.
    assert listed_references(page)[0] == live_server.cases_a[2].reference
    expect(page.locator(".table-cases tbody")).to_contain_text(live_server.client_a)
    expect(page.locator(".table-cases tbody")).to_contain_text(live_server.client_b)
    screenshot(page, "case-list-collector")

    search(page, q="Girard")  # Paul Girard owes one client each
    girard = {c.reference for c in live_server.cases if "GIRARD" in c.debtor_name}
    assert len(girard) == 2
    assert case_count(page) == 2
    assert set(listed_references(page)) == girard
    expect(page).to_have_url(re.compile(r"[?&]q=Girard"))

    target = live_server.cases_a[1]
    search(page, q=target.reference)
    assert listed_references(page) == [target.reference]
    assert case_count(page) == 1
    expect(page.locator(".table-cases tbody")).to_contain_text("Garage Martin SARL")

    search(page, q="lefèvre")  # lower case and accented, as typed on the phone
    assert listed_references(page) == [live_server.cases_a[0].reference]

    search(page, q="", status="dispute")
    assert listed_references(page) == [target.reference]
    expect(page.locator("#status")).to_have_value("dispute")

    search(page, q="Roux", status="dispute")  # nobody matches both
    assert case_count(page) == 0
    expect(page.locator(".table-cases tbody tr")).to_have_count(1)  # the "no case" row
    expect(page.locator(".table-cases tbody a")).to_have_count(0)


def test_collector_reads_a_case_file(page: Page, live_server):
    sign_in(page, live_server.collector)
    case = live_server.cases_a[0]
    page.click(f"text={case.reference}")
    page.wait_for_url(f"**/cases/{case.id}")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)
    expect(page.locator("main")).to_contain_text(live_server.client_a)
    expect(page.locator("main")).to_contain_text("C-1001")  # the client's own reference

    debtor = page.get_by_test_id("debtor")
    expect(debtor).to_contain_text("Mme Jeanne LEFÈVRE")
    contacts = page.get_by_test_id("contact-points")
    expect(contacts).to_contain_text(live_server.phone)
    expect(contacts).to_contain_text(live_server.email)
    expect(contacts).to_contain_text(re.compile(r"12 rue des Lilas,\s+69003 Lyon"))

    claims = page.locator("[data-testid=claims] tbody tr")
    expect(claims).to_have_count(2)
    amounts = [squash(t) for t in page.locator("[data-testid=claims] tbody td.amount").all_inner_texts()]
    assert sorted(amounts) == ["1 234,56 €", "500,00 €"]
    assert squash(page.get_by_test_id("outstanding").inner_text()) == "1 734,56 €"
    expect(page.locator("[data-testid=ledger] tbody tr")).to_have_count(2)

    history = page.get_by_test_id("history")
    expect(history.locator("li")).to_have_count(2)
    expect(page.get_by_test_id("internal-note")).to_have_text(live_server.note)
    expect(history).to_contain_text("Camille Recouvreur")
    expect(history.locator("li").first).to_contain_text("10/03/2026 10:30")  # 09:30 UTC, shown in Paris time
    screenshot(page, "case-collector")
