"""A collector calls a debtor from the case screen, records a promise in two instalments and a dispute;
the client user sees the dispute and its reason; a manager resolves it.

These tests change case statuses, so they run against a live server of their own (seeded below), with
contact rules open at every hour so that the numbers offered do not depend on when the suite runs.
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
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "camille.recouvreur@amiable.example.com"
MANAGER = "marc.manager@amiable.example.com"
CLIENT_USER = "compta@menuiserie-lambert.example.com"
CLIENT_EMAIL = "recouvrement@menuiserie-lambert.example.com"
MOBILE, LANDLINE = "+33612345678", "+33478000000"
REASON = "Porte livrée abîmée : le débiteur refuse de payer la facture F-2231 tant qu'elle n'est pas remplacée"


@dataclass(frozen=True)
class ActionsWorld:
    url: str
    promise_case: int
    dispute_case: int
    dispute_reference: str


def _seed_actions() -> dict:
    from agency.db import db, utcnow
    from debtors.models import ContactProfile

    profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    profile.windows = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
    profile.no_contact_on_holidays = False
    menuiserie = factories.client(code="MENU", name="Menuiserie Lambert SARL", email=CLIENT_EMAIL)
    factories.user("collector", email=COLLECTOR, name="Camille Recouvreur")
    factories.user("manager", email=MANAGER, name="Marc Manager")
    factories.user("client", client=menuiserie, email=CLIENT_USER, name="Luc Lambert")
    durand = factories.debtor(first_name="Sophie", last_name="Durand", title="Mme")
    factories.contact(durand, "phone", MOBILE, label="mobile", status="valid", is_primary=True, sms_consent=True)
    factories.contact(durand, "phone", LANDLINE, label="domicile", opted_out_at=utcnow())
    factories.contact(durand, "address", "", address_line1="4 rue des Tanneurs", postcode="69001", city="Lyon")
    promise_case = factories.case(menuiserie, durand, amounts=(84_000, 36_050), opened_on=date(2026, 9, 1),
                                  client_reference="CL-5520")
    blanc = factories.debtor("company", company_name="Boulangerie Blanc SARL", siren="552100554")
    factories.contact(blanc, "phone", "+33472000000", label="standard", is_primary=True)
    dispute_case = factories.case(menuiserie, blanc, amounts=(231_000,), opened_on=date(2026, 9, 15), kind="b2b")
    for case in (promise_case, dispute_case):
        case.status = "active"
    db.session.commit()
    return {"promise_case": promise_case.id, "dispute_case": dispute_case.id,
            "dispute_reference": dispute_case.reference}


@pytest.fixture(scope="module")
def actions_world(tmp_path_factory) -> Iterator[ActionsWorld]:
    with serve(tmp_path_factory.mktemp("e2e-actions"), _seed_actions) as (url, seeded):
        yield ActionsWorld(url=url, **seeded)


@pytest.fixture
def page(browser: Browser, actions_world: ActionsWorld) -> Iterator[Page]:
    with open_page(browser, actions_world.url) as tab:
        yield tab


def test_a_collector_calls_and_records_a_promise_in_two_instalments(page: Page, actions_world):
    sign_in(page, COLLECTOR)
    page.goto(f"/cases/{actions_world.promise_case}")
    panel = page.get_by_test_id("work-panel")
    numbers = panel.get_by_test_id("phone-number")
    expect(numbers).to_have_count(2)
    allowed = numbers.filter(has=page.locator(f"a[href='tel:{MOBILE}']"))
    expect(allowed).to_have_attribute("data-allowed", "yes")
    expect(allowed).to_contain_text("06 12 34 56 78")
    refused = numbers.nth(1)
    expect(refused).to_have_attribute("data-allowed", "no")
    expect(refused.locator("a")).to_have_count(0)  # no click-to-call on a refused number
    expect(refused).to_contain_text("04 78 00 00 00")
    screenshot(page, "case-call-panel")

    form = panel.get_by_test_id("call-form")
    expect(form.get_by_test_id("instalments")).to_be_hidden()  # shown for a promise only
    form.locator("select[name=outcome]").select_option("promise")
    expect(form.get_by_test_id("instalments")).to_be_visible()
    expect(form.locator("textarea[name=dispute_reason]")).to_be_hidden()
    first, second = date.today() + timedelta(days=7), date.today() + timedelta(days=37)
    form.locator("input[name='instalments-0-amount']").fill("600,00")
    form.locator("input[name='instalments-0-due_on']").fill(first.isoformat())
    form.locator("[data-add-instalment]").click()
    form.locator("input[name='instalments-1-amount']").fill("600,50")
    form.locator("input[name='instalments-1-due_on']").fill(second.isoformat())
    form.locator("textarea[name=note]").fill("Accord pour payer en deux fois")
    expect(form.locator("[data-instalments-total]")).to_contain_text(re.compile(r"1\s200,50"))
    form.scroll_into_view_if_needed()
    screenshot(page, "call-form-promise-two-instalments")
    form.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{actions_world.promise_case}$"))

    rows = page.get_by_test_id("promises").locator("tbody tr")
    expect(rows).to_have_count(2)
    assert [squash(t) for t in rows.locator("td:nth-child(2)").all_inner_texts()] == ["600,00 €", "600,50 €"]
    expect(rows.first).to_have_attribute("data-status", "pending")
    expect(page.get_by_test_id("history")).to_contain_text("Accord pour payer en deux fois")
    screenshot(page, "case-after-promise")


def test_the_promise_page_takes_two_instalments_and_refuses_a_past_date(page: Page, actions_world):
    sign_in(page, COLLECTOR)
    page.goto(f"/cases/{actions_world.promise_case}/promise")
    form = page.get_by_test_id("promise-form")
    first_date = form.locator("input[name='instalments-0-due_on']")
    form.locator("input[name='instalments-0-amount']").fill("100,00")
    first_date.fill((date.today() + timedelta(days=5)).isoformat())
    form.locator("[data-add-instalment]").click()
    form.locator("input[name='instalments-1-amount']").fill("250,00")
    form.locator("input[name='instalments-1-due_on']").fill((date.today() + timedelta(days=20)).isoformat())
    expect(form.locator("[data-instalments-total]")).to_contain_text(re.compile(r"350,00\s€"))
    screenshot(page, "promise-form-two-instalments")
    first_date.fill((date.today() - timedelta(days=2)).isoformat())
    form.locator("input[type=submit]").click()
    expect(form.locator(".invalid-feedback")).to_have_count(1)
    expect(first_date).to_have_class(re.compile("is-invalid"))
    expect(form.locator("input[name='instalments-1-amount']")).to_have_value("250,00")  # the lines are kept
    first_date.fill((date.today() + timedelta(days=5)).isoformat())
    form.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{actions_world.promise_case}$"))
    rows = page.get_by_test_id("promises").locator("tbody tr")
    expect(rows).to_have_count(2)  # the new promise replaced the pending one
    assert [squash(t) for t in rows.locator("td:nth-child(2)").all_inner_texts()] == ["100,00 €", "250,00 €"]


def test_a_dispute_is_seen_by_the_client_and_resolved_by_a_manager(browser: Browser, actions_world):
    with open_page(browser, actions_world.url) as page:
        sign_in(page, COLLECTOR)
        page.goto(f"/cases/{actions_world.dispute_case}")
        form = page.get_by_test_id("call-form")
        form.locator("select[name=outcome]").select_option("dispute")
        form.locator("textarea[name=dispute_reason]").fill(REASON)
        form.locator("input[type=submit]").click()
        page.wait_for_url(re.compile(rf"/cases/{actions_world.dispute_case}$"))
        expect(page.get_by_test_id("dispute-open")).to_contain_text(REASON)
        expect(page.get_by_test_id("work-panel").locator("a[href^='tel:']")).to_have_count(1)  # about it only
        expect(page.get_by_test_id("dispute-resolve")).to_have_count(0)  # a manager's decision
        outcomes = page.get_by_test_id("call-form").locator("select[name=outcome] option")
        expect(outcomes.filter(has_text="Promesse")).to_have_count(0)  # only calls about the dispute

    with open_page(browser, actions_world.url) as page:
        sign_in(page, CLIENT_USER)
        page.goto(f"/cases/{actions_world.dispute_case}")
        expect(page.get_by_test_id("dispute-open")).to_contain_text(REASON)
        expect(page.get_by_test_id("dispute-resolve")).to_have_count(0)
        expect(page.get_by_test_id("work-panel")).to_have_count(0)
        expect(page.locator("a[href^='tel:']")).to_have_count(0)
        screenshot(page, "client-disputed-case")

    with open_page(browser, actions_world.url) as page:
        sign_in(page, MANAGER)
        page.goto(f"/cases/{actions_world.dispute_case}")
        box = page.get_by_test_id("dispute-resolve")
        box.locator("summary").click()
        box.locator("input[value=rejected]").check()
        box.locator("textarea[name=resolution]").fill("Porte remplacée le 12 novembre : la facture reste due")
        screenshot(page, "manager-resolves-dispute")
        box.locator("input[type=submit]").click()
        page.wait_for_url(re.compile(rf"/cases/{actions_world.dispute_case}$"))
        expect(page.get_by_test_id("dispute-open")).to_have_count(0)
        expect(page.get_by_test_id("dispute-resolved")).to_contain_text("la facture reste due")

    with open_page(browser, actions_world.url) as page:
        sign_in(page, CLIENT_USER)
        page.goto(f"/cases/{actions_world.dispute_case}")
        expect(page.get_by_test_id("dispute-resolved")).to_contain_text(REASON)
        expect(page.get_by_test_id("dispute-resolved")).to_contain_text("la facture reste due")
