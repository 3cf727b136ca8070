"""An admin signs in, is sent to enrol the second factor, scans (reads) the key, confirms a code, keeps the
recovery codes, then signs in again with a code; on a server of its own, where the rule is enforced."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

ADMIN = "admin.totp@example.com"


def _seed() -> dict:
    from flask import current_app

    from agency.db import db

    current_app.config["SECOND_FACTOR_ENFORCED"] = True  # the real rule, which the harness turns off elsewhere
    factories.user("admin", email=ADMIN, name="Agnès Administratrice")
    db.session.commit()
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("e2e-second-factor"), _seed) as (url, _seeded):
        yield url


@pytest.fixture
def tab(browser, server):
    with open_page(browser, server) as page:
        yield page


def _password(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", ADMIN)
    page.fill("#password", factories.PASSWORD)
    page.click("#submit")


def _fresh_code(secret: str, after: str | None = None) -> str:
    """The app's current code; a new step's when `after` (just used) is still the current one."""
    totp = pyotp.TOTP(secret)
    while (code := totp.now()) == after:
        time.sleep(1)
    return code


def test_an_admin_enrols_the_second_factor_then_signs_in_with_it(tab: Page):
    _password(tab)
    tab.wait_for_url("**/account/second-factor")
    expect(tab.locator(".alert-warning")).to_contain_text("Votre rôle exige un second facteur")
    tab.goto("/admin/users")  # nothing else opens before the enrolment
    tab.wait_for_url("**/account/second-factor")

    card = tab.get_by_test_id("second-factor")
    expect(card.get_by_role("heading")).to_have_text("Configurer le second facteur")
    expect(card.get_by_test_id("qr").locator("svg")).to_be_visible()
    secret = card.get_by_test_id("totp-secret").inner_text().strip()
    assert len(secret) == 32
    screenshot(tab, "second-factor-enrolment")

    tab.get_by_label("Code affiché par l’application").fill("000000")
    tab.get_by_role("button", name="Activer le second facteur").click()
    expect(tab.locator(".invalid-feedback")).to_contain_text("Ce code ne correspond pas")
    first = _fresh_code(secret)
    tab.get_by_label("Code affiché par l’application").fill(first)
    tab.get_by_role("button", name="Activer le second facteur").click()
    codes = tab.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    screenshot(tab, "second-factor-recovery-codes")
    tab.get_by_role("link", name="Je les ai conservés").click()
    tab.wait_for_url("**/cases/")

    sign_out(tab)
    _password(tab)
    tab.wait_for_url("**/login/code**")
    tab.get_by_label("Code").fill(first)  # already used: refused
    tab.get_by_role("button", name="Continuer").click()
    expect(tab.locator(".alert-danger")).to_have_text("Code incorrect.")
    tab.get_by_label("Code").fill(_fresh_code(secret, after=first))
    tab.get_by_role("button", name="Continuer").click()
    tab.wait_for_url("**/cases/")
    tab.goto("/admin/users")
    expect(tab.get_by_test_id("users").locator("tr", has_text=ADMIN)).to_contain_text("Second facteur")
