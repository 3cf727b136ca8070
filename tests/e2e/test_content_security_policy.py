"""The Content-Security-Policy in a real browser: the collector's case page, the queue and the client's case
page run and look as before, and Chromium reports no violation while they are used.

A live server of its own (the collector takes a case from the queue), with contact rules open at every hour
so that "Next" hands out the case whenever the suite runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "csp.collector@amiable.example.com"
CLIENT_USER = "csp.client@fromagerie.example.com"
VIOLATION = re.compile(r"Content Security Policy|Content-Security-Policy", re.I)


@dataclass(frozen=True)
class CspWorld:
    url: str
    case_id: int


def _seed() -> dict:
    from agency.db import db, utcnow
    from debtors.models import ContactProfile

    profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    profile.windows = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
    profile.no_contact_on_holidays = False
    profile.call_cap = None
    collector = factories.user("collector", email=COLLECTOR, name="Chloé Appel")
    client = factories.client(code="CSPX", name="Fromagerie du Jura SAS")
    factories.user("client", client=client, email=CLIENT_USER, name="Jules Fromager")
    factories.agency_profile()
    debtor = factories.debtor(first_name="Anne", last_name="Martin", title="Mme")
    factories.contact(debtor, "phone", "+33612340000", label="mobile", is_primary=True, status="valid",
                      sms_consent=True)
    factories.contact(debtor, "email", "anne.martin@example.com")
    factories.postal_address(debtor)
    case = factories.case(client, debtor, amounts=(184_000, 7_990), opened_on=date(2026, 9, 1))
    case.status = "active"
    case.assigned_collector = collector
    case.queue_score = 500
    case.next_action_at = utcnow() - timedelta(hours=2)
    db.session.flush()
    factories.payment(case, 25_000, receipt=False)
    factories.letter(case)
    db.session.commit()
    return {"case_id": case.id}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[CspWorld]:
    with serve(tmp_path_factory.mktemp("e2e-csp"), _seed) as (url, seeded):
        yield CspWorld(url=url, **seeded)


def _watch(page: Page, reports: list[str]) -> None:
    """Collect in `reports` the browser's reports of what the policy refused, and the page's script errors."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and VIOLATION.search(message.text):
            reports.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: reports.append(f"{page.url}: script error {error}"))


def test_the_collector_works_a_case_and_the_client_reads_it_without_any_violation(browser: Browser, world):
    reports: list[str] = []
    with open_page(browser, world.url) as page:
        _watch(page, reports)
        sign_in(page, COLLECTOR)
        page.goto("/queue/")
        expect(page.get_by_test_id("next")).to_be_visible()
        screenshot(page, "csp-queue")
        page.get_by_test_id("next").click()
        page.wait_for_url(re.compile(rf"/cases/{world.case_id}\?from=queue$"))
        # What the page's scripts do, from static files: the call form shows what the outcome needs and adds
        # instalment lines with their total (work.js), the lease is held (lease.js), the menu opens (Bootstrap).
        expect(page.locator("select[name=outcome]")).to_be_focused()
        page.select_option("select[name=outcome]", "promise")
        promise = page.locator("[data-when=promise]")
        expect(promise).to_be_visible()
        promise.locator("input[name='instalments-0-amount']").fill("100")
        promise.locator("[data-add-instalment]").click()
        promise.locator("input[name='instalments-1-amount']").fill("50")
        expect(promise.locator("[data-instalments-total]")).to_contain_text("150")
        expect(page.locator("[data-lease-renew]")).to_have_count(1)
        page.select_option("select[name=outcome]", "no_answer")
        screenshot(page, "csp-collector-case")
        page.goto("/queue/")
        expect(page.get_by_test_id("current")).to_be_visible()
        screenshot(page, "csp-queue-holding")

    with open_page(browser, world.url) as page:
        _watch(page, reports)
        sign_in(page, CLIENT_USER)
        page.goto(f"/cases/{world.case_id}")
        expect(page.locator("main h1")).to_be_visible()
        screenshot(page, "csp-client-case")

        assert reports == []
        # The watch does see a refusal: a script added inline is refused and reported.
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                      " document.body.append(s); }")
        expect(page.locator("body")).to_be_visible()
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.ran") is None
        assert len(reports) == 1 and "inline script" in reports[0]
