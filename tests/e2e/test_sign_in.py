"""Signing in and out, the login page's language, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, sign_in, sign_out, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def test_login_page_is_french_by_default(page: Page):
    page.goto("/")
    page.wait_for_url("**/login?next=*")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("type", "password")
    expect(page.locator("nav")).to_have_count(0)  # no menu before signing in
    screenshot(page, "login")


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page: Page, live_server):
    page.goto("/login")
    page.fill("#email", live_server.collector)
    page.fill("#password", "not the password")
    page.click("#submit")
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#email")).to_have_value(live_server.collector)
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # still not signed in


def test_sign_out_returns_to_login_and_locks_pages(page: Page, live_server):
    sign_in(page, live_server.collector)
    case = live_server.cases_a[0]
    page.goto(f"/cases/{case.id}")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)
    sign_out(page)
    expect(page.locator(".alert-info")).to_be_visible()
    expect(page.locator("#submit")).to_be_visible()
    page.goto(f"/cases/{case.id}")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fcases%2F{case.id}$"))
    expect(page.locator("body")).not_to_contain_text(case.debtor_name)


def test_language_switch_goes_to_english_and_back(page: Page, live_server):
    sign_in(page, live_server.collector)
    page.fill("#q", live_server.cases_a[0].reference)
    page.click("form[role=search] button[type=submit]")
    outstanding = page.locator(".table-cases tbody td.amount").first
    expect(outstanding).to_have_text(re.compile(r"^1\s734,56\s€$"))  # French number format

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/cases/\?q="))  # back on the same filtered list
    expect(outstanding).to_have_text("€1,734.56")
    expect(page.locator("h1")).to_have_text("Cases")
    expect(page.get_by_role("button", name="Français")).to_be_visible()

    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    assert squash(outstanding.inner_text()) == "1 734,56 €"
