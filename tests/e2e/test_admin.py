"""The administrator's menu, creating a user through the form, and the clients page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

NEW_USER = {"name": "Nadia Nouvelle", "email": "nadia.nouvelle@example.com", "password": "Recouvrement-2026"}


def test_admin_creates_a_user_who_can_then_sign_in(page: Page, live_server):
    sign_in(page, live_server.admin)
    nav = page.get_by_test_id("main-nav")
    menu = nav.locator(".dropdown-menu")
    expect(menu).to_be_hidden()
    nav.get_by_role("button", name="Administration").or_(nav.locator(".dropdown-toggle")).first.click()
    expect(menu).to_be_visible()
    expect(menu.locator("a")).to_have_count(3)
    menu.locator("a[href='/admin/users']").click()
    page.wait_for_url("**/admin/users")

    users = page.get_by_test_id("users")
    expect(users).to_contain_text(live_server.collector)
    expect(users).not_to_contain_text(NEW_USER["email"])
    before = users.locator("tbody tr").count()
    screenshot(page, "users-admin")

    page.fill("#name", NEW_USER["name"])
    page.fill("#email", NEW_USER["email"])
    page.select_option("#role", "collector")
    page.select_option("#client_id", "0")
    page.fill("#password", NEW_USER["password"])
    page.click("#submit")
    page.wait_for_url("**/admin/users")
    expect(page.locator(".alert-success")).to_contain_text(NEW_USER["email"])
    expect(users.locator("tbody tr")).to_have_count(before + 1)
    expect(users.locator("tr", has_text=NEW_USER["email"])).to_contain_text(NEW_USER["name"])

    sign_out(page)
    sign_in(page, NEW_USER["email"], NEW_USER["password"])
    expect(page.get_by_test_id("whoami")).to_contain_text(NEW_USER["name"])
    expect(page.locator(".dropdown-toggle")).to_have_count(0)  # a collector has no admin menu
    assert page.goto("/admin/users").status == 403


def test_admin_user_form_rejects_a_client_user_without_client(page: Page, live_server):
    sign_in(page, live_server.admin)
    page.goto("/admin/users")
    page.fill("#name", "Sans Client")
    page.fill("#email", "sans.client@example.com")
    page.select_option("#role", "client")
    page.fill("#password", "Recouvrement-2026")
    page.click("#submit")
    expect(page.locator(".invalid-feedback, .text-danger").first).to_be_visible()
    expect(page.get_by_test_id("users")).not_to_contain_text("sans.client@example.com")
    expect(page.locator("#name")).to_have_value("Sans Client")  # what was typed is kept


def test_clients_page_lists_clients_and_mandates(page: Page, live_server):
    sign_in(page, live_server.admin)
    page.get_by_test_id("main-nav").locator("a[href='/clients']").click()
    page.wait_for_url("**/clients")
    cards = page.get_by_test_id("client")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text(live_server.client_a)  # sorted by name
    expect(cards.nth(1)).to_contain_text(live_server.client_b)
    expect(cards.first).to_contain_text(re.compile(r"15\s%"))  # the mandate's commission
    screenshot(page, "clients")
    cards.first.locator("a[href*='/cases/']").click()
    page.wait_for_url(re.compile(r"/cases/\?client=\d+$"))
    expect(page.locator(".table-cases tbody tr")).to_have_count(len(live_server.cases_a))
