"""Helpers shared by the e2e modules: signing in, screenshots, text as the eye reads it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FRENCH_PO = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = FRENCH_PO.with_suffix(".mo")

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def squash(text: str) -> str:
    """Collapse every run of spaces (no-break and narrow no-break included) to one plain space."""
    return _SPACES.sub(" ", text).strip()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ (git-ignored) for visual review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the login form and wait to land on the case list."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url("**/cases/")


def switch_user(page: Page, email: str) -> None:
    """Sign in as another user in the same tab: leave the page first, so that no request it still has in flight
    (a script's fetch) sets the session cookie again after the cookies are cleared, then sign in afresh."""
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, email)


def sign_out(page: Page) -> None:
    """Press the navbar's sign-out button and wait for the login page."""
    page.click("form[action$='/logout'] button[type=submit]")
    page.wait_for_url("**/login")


def search_cases(page: Page, q: str = "", status: str | None = None) -> None:
    """Fill the case list's search form, press "Filtrer" and wait for the new list to load."""
    page.fill("#q", q)
    if status is not None:
        page.select_option("#status", status)
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
