"""In the browser: a collector writes a note shown to the client, sets a task and attaches a PDF from the case page,
finds the task in
"Mes tâches" beside an overdue one and marks it done in one click; the client reads the note in its portal, never
the internal one. Screenshots of the case page and of "Mes tâches" are kept for review."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "lea.note@amiable.example.com"
CLIENT_USER = "compta@cartonnerie.example.com"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class NotesWorld:
    url: str
    case_id: int
    reference: str


def _seed() -> dict:
    from agency.clock import today
    from agency.db import db, utcnow
    from cases.models.notes import Task
    from cases.notes.notes import add_case_note, add_debtor_note
    from cases.notes.tasks import create_rule_task

    collector = factories.user("collector", email=COLLECTOR, name="Léa Martin")
    team = factories.team("Pool Rhône", members=(collector,))
    client = factories.client(code="CART", name="Cartonnerie du Rhône SAS")
    factories.user("client", client=client, email=CLIENT_USER, name="Gérard Carton")
    debtor = factories.debtor(first_name="Sophie", last_name="Durand", title="Mme")
    factories.postal_address(debtor)
    case = factories.case(client, debtor, amounts=(184_000, 36_050), opened_on=date(2026, 9, 1))
    case.status, case.assigned_collector = "active", collector
    other = factories.case(client, debtor, amounts=(12_000,), opened_on=date(2026, 9, 3))
    add_case_note(case, "Ton agressif au téléphone : rappeler en fin de journée.", visible_to_client=False,
                  actor=collector)
    add_debtor_note(debtor, "Travaille de nuit, joignable après 14 h.", actor=collector)
    db.session.flush()
    # An overdue task, as if set last week (a task cannot be typed with a past date).
    db.session.add(Task(case_id=other.id, client_id=other.client_id, title="Relancer l’employeur pour l’attestation",
                        detail="", due_on=today() - timedelta(days=3), team_id=team.id, status="open",
                        created_at=utcnow(), created_by_id=collector.id))
    create_rule_task(case, "hardship", detail="Perte d’emploi en août, reprise prévue en janvier.")
    db.session.commit()
    return {"case_id": case.id, "reference": case.reference}


@pytest.fixture(scope="module")
def notes_world(tmp_path_factory) -> Iterator[NotesWorld]:
    with serve(tmp_path_factory.mktemp("e2e-notes"), _seed) as (url, seeded):
        yield NotesWorld(url=url, **seeded)


def test_a_collector_writes_a_note_and_a_task_and_the_client_reads_only_the_shown_note(browser: Browser,
                                                                                         notes_world: NotesWorld):
    due = date.today() + timedelta(days=2)
    with open_page(browser, notes_world.url) as page:
        page.set_viewport_size({"width": 1440, "height": 900})
        sign_in(page, COLLECTOR)
        page.goto(f"/cases/{notes_world.case_id}")
        page.fill("#note-body", "Accord de principe pour 200 € par mois à partir d’octobre.")
        page.check("#note-visible")
        page.get_by_role("button", name="Ajouter la note").click()
        expect(page.get_by_text("Note ajoutée ; le client la voit.")).to_be_visible()
        page.get_by_text("Nouvelle tâche").click()
        page.fill("#title", "Envoyer l’échéancier signé")
        page.fill("#due_on", due.isoformat())
        page.get_by_role("button", name="Ajouter la tâche").click()
        expect(page.get_by_text("Tâche ajoutée.")).to_be_visible()
        tasks = page.get_by_test_id("tasks")
        expect(tasks).to_contain_text("Envoyer l’échéancier signé")
        expect(tasks).to_contain_text("Rappeler le débiteur : difficulté signalée depuis son espace")
        expect(page.get_by_test_id("notes")).to_contain_text("Travaille de nuit")
        # The debtor's bank statement, attached as a PDF from the same page.
        panel = page.get_by_test_id("attachments")
        panel.locator("#attachment-file").set_input_files(
            files=[{"name": "releve-bancaire.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        panel.get_by_role("button", name="Joindre", exact=True).click()
        expect(page.get_by_text("« releve-bancaire.pdf » joint au dossier.")).to_be_visible()
        expect(page.get_by_test_id("attachments-table")).to_contain_text("releve-bancaire.pdf")
        expect(page.get_by_test_id("attachments-table")).to_contain_text("Léa Martin")
        screenshot(page, "notes-tasks-case-page")
        page.get_by_test_id("debtor").get_by_role("link", name="Mme Sophie DURAND").click()
        expect(page.get_by_test_id("debtor-notes")).to_contain_text("Accord de principe pour 200 €")
        expect(page.get_by_test_id("debtor-notes")).to_contain_text("Travaille de nuit")
        screenshot(page, "notes-tasks-debtor-page")

        page.get_by_test_id("nav-tasks").click()
        rows = page.get_by_test_id("task-list").locator("tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("Relancer l’employeur")
        expect(rows.nth(0)).to_contain_text("3 jours de retard")
        expect(rows.nth(0)).to_have_class("table-danger")
        screenshot(page, "notes-tasks-my-tasks")
        rows.filter(has_text="Envoyer l’échéancier signé").get_by_test_id("task-done").click()
        expect(page.get_by_text("« Envoyer l’échéancier signé » est faite.")).to_be_visible()
        expect(rows).to_have_count(2)
        sign_out(page)

        sign_in(page, CLIENT_USER)
        page.goto(f"/cases/{notes_world.case_id}")
        notes = page.get_by_test_id("notes")
        expect(notes).to_contain_text("Accord de principe pour 200 € par mois")
        expect(notes).not_to_contain_text("Ton agressif")
        expect(page.locator("body")).not_to_contain_text("Travaille de nuit")
        expect(page.get_by_test_id("tasks")).to_have_count(0)
        screenshot(page, "notes-tasks-client-portal")
