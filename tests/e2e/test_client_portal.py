"""A client user sees only its own cases, without the agency's internal information."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, search_cases, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def test_client_user_sees_only_its_own_cases(page: Page, live_server):
    sign_in(page, live_server.client_a_user)
    expect(page.get_by_test_id("whoami")).to_contain_text(live_server.client_a)
    own = {c.reference for c in live_server.cases_a}
    expect(page.locator("main h1")).to_have_text("Mes dossiers")
    expect(page.get_by_test_id("case-count")).to_have_text(f"{len(own)} dossiers")
    assert {squash(t) for t in page.locator(".table-cases tbody td:first-child a").all_inner_texts()} == own
    table = page.locator(".table-cases")
    expect(table).not_to_contain_text(live_server.client_b)
    expect(table.locator("thead th")).to_have_text(
        ["Référence", "Débiteur", "Statut", "Ouvert le", "Reste dû"]
    )
    expect(page.locator("#client")).to_have_count(0)  # no client filter

    nav = page.get_by_test_id("main-nav")
    # its cases, its placements, the payments on them, its remittance statements, plans awaiting its approval,
    # its closing reports, court actions awaiting its approval
    expect(nav.locator("a")).to_have_text(
        ["Mes dossiers", "Tableau de bord", "Remises", "Règlements", "Reversements", "Rapports de clôture",
         "Échéanciers", "Contentieux"]
    )
    expect(nav).not_to_contain_text("Clients")
    expect(nav).not_to_contain_text("Administration")
    expect(page.locator("a[href='/clients'], a[href^='/admin']")).to_have_count(0)

    expect(page.locator("#q")).to_have_attribute("placeholder", "Référence, débiteur, SIREN, facture…")
    search_cases(page, "Girard")  # Paul Girard also owes the other client: only this client's case shows
    girard_here = [c.reference for c in live_server.cases_a if "GIRARD" in c.debtor_name]
    assert [
        squash(t) for t in page.locator(".table-cases tbody td:first-child a").all_inner_texts()
    ] == girard_here

    search_cases(page, live_server.phone)  # contact details are not searchable by client users
    expect(page.locator(".table-cases tbody tr")).to_have_text(["Aucun dossier ne correspond."])
    page.goto("/cases/")
    screenshot(page, "case-list-client")


def test_client_user_case_file_hides_internal_information(page: Page, live_server):
    sign_in(page, live_server.client_a_user)
    case = live_server.cases_a[0]
    page.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/cases/{case.id}")
    main = page.locator("main")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)
    expect(page.get_by_test_id("debtor")).to_contain_text("Mme Jeanne LEFÈVRE")
    assert squash(page.get_by_test_id("outstanding").inner_text()) == "1 734,56 €"
    expect(page.locator("[data-testid=claims] tbody tr")).to_have_count(2)

    history = page.get_by_test_id("history")
    expect(history.locator("li")).to_have_count(1)  # the call, not the note
    expect(history).to_contain_text("Appel")
    expect(page.get_by_test_id("internal-note")).to_have_count(0)
    expect(main).not_to_contain_text(live_server.note)
    expect(main).not_to_contain_text("Camille Recouvreur")  # collector names are internal
    expect(page.get_by_test_id("contact-points")).to_have_count(0)
    expect(main).not_to_contain_text(live_server.phone)
    expect(main).not_to_contain_text("06 12 34 56 78")
    expect(main).not_to_contain_text(live_server.email)
    expect(main).not_to_contain_text("rue des Lilas")
    expect(page.locator("[data-testid=debtor] a")).to_have_count(0)  # no link to the debtor file
    screenshot(page, "case-client")


def test_client_user_gets_404_for_another_clients_case(page: Page, live_server):
    sign_in(page, live_server.client_a_user)
    other = live_server.cases_b[0]
    response = page.goto(f"/cases/{other.id}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("404")
    expect(page.locator("main")).to_contain_text(
        "Cette page n'existe pas, ou vous n'avez pas le droit de la consulter."
    )
    expect(page.locator("main")).not_to_contain_text(other.reference)
    expect(page.locator("main")).not_to_contain_text(other.debtor_name)
    expect(page.get_by_role("link", name="Retour aux dossiers")).to_have_attribute("href", "/")
    screenshot(page, "not-found-client")
    response = page.goto(f"/cases/{live_server.cases_a[1].id}")  # its own case still opens
    assert response is not None and response.status == 200
