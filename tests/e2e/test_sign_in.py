"""Signing in and out, the login page's language, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.helpers import screenshot, search_cases, sign_in, sign_out, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def test_login_page_is_french_by_default(page: Page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title("Se connecter · Amiable")
    expect(page.locator("#submit")).to_have_value("Se connecter")
    expect(page.locator("label[for=email]")).to_have_text("E-mail")
    expect(page.locator("label[for=password]")).to_have_text("Mot de passe")
    expect(page.locator("#remember")).to_have_count(0)  # idle sessions expire: no cookie to outlive them
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Recouvrement amiable")
    expect(page.locator("main")).not_to_contain_text(re.compile("Sign in|Password"))
    expect(page.locator("#email")).to_be_focused()
    expect(page.locator("nav")).to_have_count(0)  # no menu before signing in
    screenshot(page, "login")


def test_redirect_to_login_explains_it_in_french(page: Page):
    page.goto("/cases/")
    page.wait_for_url("**/login?next=*")
    expect(page.locator(".alert-warning")).to_be_visible()
    assert "Please log in" not in page.locator(".alert-warning").inner_text()  # Flask-Login's English default
    expect(page.locator(".alert-warning")).to_contain_text("Connectez-vous")


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page: Page, live_server):
    page.goto("/login")
    page.fill("#email", live_server.collector)
    page.fill("#password", "pas le bon mot de passe")
    page.click("#submit")
    expect(page.locator(".alert-danger")).to_have_text("E-mail ou mot de passe incorrect.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#email")).to_have_value(live_server.collector)
    expect(page.locator("#password")).to_have_value("")  # never echoed back
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcases%2F$"))  # still not signed in


def test_sign_in_follows_next_to_the_page_asked_for(page: Page, live_server):
    case = live_server.cases_a[0]
    page.goto(f"/cases/{case.id}")
    page.fill("#email", live_server.collector)
    page.fill("#password", factories.PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"**/cases/{case.id}")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)


def test_sign_out_returns_to_login_and_locks_pages(page: Page, live_server):
    sign_in(page, live_server.collector)
    case = live_server.cases_a[0]
    page.goto(f"/cases/{case.id}")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    sign_out(page)
    expect(page.locator(".alert-info")).to_contain_text("Vous êtes déconnecté.")
    expect(page.locator("#submit")).to_have_value("Se connecter")
    page.goto(f"/cases/{case.id}")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fcases%2F{case.id}$"))
    expect(page.locator("body")).not_to_contain_text(case.debtor_name)


def test_language_switch_goes_to_english_and_back(page: Page, live_server):
    sign_in(page, live_server.collector)
    search_cases(page, live_server.cases_a[0].reference)
    heading = page.locator("main h1")
    outstanding = page.locator(".table-cases tbody td.amount").first
    expect(heading).to_have_text("Dossiers")
    expect(page.get_by_test_id("case-count")).to_have_text("1 dossier")
    expect(outstanding).to_have_text(re.compile(r"^1\s734,56\s€$"))

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/cases/\?q=D26-"))  # back on the same filtered list
    expect(heading).to_have_text("Cases")
    expect(page.get_by_test_id("case-count")).to_have_text("1 case")
    expect(outstanding).to_have_text("€1,734.56")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"/cases/{live_server.cases_a[0].id}")  # the choice sticks to the session
    expect(page.locator("[data-testid=claims] thead")).to_contain_text("Invoice")

    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("[data-testid=claims] thead")).to_contain_text("Facture")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    assert squash(page.get_by_test_id("outstanding").inner_text()) == "1 734,56 €"
