"""Bulk work in the real browser: a manager ticks every case of the page, reassigns them to a collector and follows
the batch to its page; an SMS sent to the cases matching a filter outside the contact hours is skipped case by case,
each with the rule's words; a batch still waiting shows its progress bar.

The server's clock is set (time-machine, in this process: the live server runs on a thread of it) to Monday
7 December 2026 at 21:30, after the FR profile's SMS hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

PARIS = ZoneInfo("Europe/Paris")
MANAGER = "nadia.lots@amiable.example.com"


@dataclass(frozen=True)
class BulkWorld:
    url: str
    client_id: int
    references: tuple[str, ...]
    waiting_batch_id: int


def _seed() -> dict:
    from agency.db import db
    from cases.batches.batches import ask_batch

    factories.agency_profile()
    manager = factories.user("manager", email=MANAGER, name="Nadia Lots")
    factories.user("collector", email="paul.morel@amiable.example.com", name="Paul Morel")
    creditor = factories.client(code="DUPAIN", name="Boulangerie Dupain SAS")
    names = [("Jeanne", "Lefèvre"), ("Paul", "Girard"), ("Sophie", "Roux"), ("Hugo", "Marchand")]
    cases = []
    for n, (first, last) in enumerate(names):
        debtor = factories.debtor(first_name=first, last_name=last)
        factories.contact(debtor, "phone", f"+3361234567{n}", is_primary=True)
        case = factories.case(creditor, debtor, amounts=(45_000 + 10_000 * n,))
        case.status = "active"
        cases.append(case)
    waiting = ask_batch("export", {}, actor=manager, case_ids=[cases[0].id])  # its job never runs here
    db.session.commit()
    return {"client_id": creditor.id, "references": tuple(c.reference for c in cases),
            "waiting_batch_id": waiting.id}


@pytest.fixture(scope="module")
def clock() -> Iterator[time_machine.Coordinates]:
    traveller = time_machine.travel(datetime(2026, 12, 7, 21, 30, tzinfo=PARIS), tick=True)
    yield traveller.start()
    traveller.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, clock) -> Iterator[BulkWorld]:
    with serve(tmp_path_factory.mktemp("e2e-bulk"), _seed) as (url, seeded):
        yield BulkWorld(url=url, **seeded)


@pytest.fixture
def page(browser: Browser, world: BulkWorld) -> Iterator[Page]:
    with open_page(browser, world.url) as tab:
        yield tab


def test_a_manager_reassigns_every_case_of_the_page(page: Page, world: BulkWorld):
    sign_in(page, MANAGER)
    bar = page.get_by_test_id("action-bar")
    expect(bar).to_be_visible()
    page.select_option("#batch-action", "reassign")
    expect(page.locator("#batch-target")).to_be_visible()
    expect(page.locator("#batch-sms_template")).to_be_hidden()  # only the chosen action's choices show
    page.get_by_test_id("tick-page").check()
    expect(page.get_by_test_id("ticked-count")).to_have_text("4")
    page.select_option("#batch-target", label="Paul Morel")
    screenshot(page, "bulk-case-list-action-bar")
    with page.expect_navigation():
        page.get_by_test_id("batch-run").click()
    expect(page.locator("h1")).to_contain_text("Réaffecter")
    expect(page.locator("h1")).to_contain_text("à Paul Morel")
    expect(page.get_by_test_id("count-done")).to_have_text("4")
    expect(page.get_by_test_id("count-skipped")).to_have_text("0")
    screenshot(page, "bulk-batch-reassigned")
    page.goto("/cases/")
    for reference in world.references:
        expect(page.locator("tr", has_text=reference)).to_contain_text("Paul Morel")


def test_a_manager_sets_a_task_on_ticked_cases_for_their_collector(page: Page, world: BulkWorld):
    sign_in(page, MANAGER)
    page.select_option("#batch-action", "task")
    for reference in world.references[:2]:
        page.locator("tr", has_text=reference).locator("input[name=case]").check()
    page.fill("#batch-task_title", "Rappeler le débiteur pour un plan")
    page.fill("#batch-task_due_on", "2026-12-10")
    page.select_option("#batch-task_assignee", "case")
    screenshot(page, "bulk-case-list-task")
    with page.expect_navigation():
        page.get_by_test_id("batch-run").click()
    expect(page.locator("h1")).to_contain_text("Ajouter une tâche")
    expect(page.get_by_test_id("count-done")).to_have_text("2")


def test_an_sms_after_hours_is_skipped_with_the_rules_words(page: Page, world: BulkWorld):
    sign_in(page, MANAGER)
    page.goto(f"/cases/?client={world.client_id}")
    page.get_by_label("Les 4 dossiers correspondant à ce filtre").check()
    page.select_option("#batch-action", "sms")
    with page.expect_navigation():
        page.get_by_test_id("batch-run").click()
    expect(page.get_by_test_id("count-skipped")).to_have_text("4")
    skipped = page.get_by_test_id("batch-skipped")
    expect(skipped.locator("tbody tr")).to_have_count(4)
    text = squash(skipped.inner_text())
    assert "Règles de contact" in text and "Hors des heures de contact" in text
    screenshot(page, "bulk-batch-sms-skipped")


def test_a_waiting_batch_shows_its_progress(page: Page, world: BulkWorld):
    sign_in(page, MANAGER)
    page.goto(f"/cases/batches/{world.waiting_batch_id}")
    expect(page.get_by_test_id("batch-progress")).to_contain_text("0 / 1")
    expect(page.locator("#progress-bar")).to_be_visible()
    screenshot(page, "bulk-batch-progress")


def test_a_hold_without_its_reason_is_refused_at_the_field(page: Page, world: BulkWorld):
    sign_in(page, MANAGER)
    page.select_option("#batch-action", "hold")
    page.locator("tr", has_text=world.references[0]).locator("input[name=case]").check()
    with page.expect_navigation():
        page.get_by_test_id("batch-run").click()
    expect(page.get_by_test_id("batch-error")).to_have_text("Dites pourquoi ces dossiers sont suspendus.")
    expect(page.locator("#batch-hold_reason")).to_be_visible()  # the refused action's fields stay shown
    expect(page.get_by_test_id("ticked-count")).to_have_text("1")  # and the ticked case stays ticked
    screenshot(page, "bulk-hold-refused")
