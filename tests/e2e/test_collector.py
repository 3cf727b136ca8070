"""A collector works the case list and reads a case file."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, search_cases, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def case_count(page: Page) -> int:
    """Read the number in the list's "N dossiers" counter."""
    text = squash(page.get_by_test_id("case-count").inner_text())
    match = re.fullmatch(r"(\d+) dossiers?", text)
    assert match, text
    return int(match.group(1))


def listed_references(page: Page) -> list[str]:
    return [squash(t) for t in page.locator(".table-cases tbody tr td:first-child a").all_inner_texts()]


def test_collector_searches_and_filters_the_case_list(page: Page, live_server):
    sign_in(page, live_server.collector)
    expect(page.get_by_test_id("whoami")).to_contain_text("Camille Recouvreur")
    expect(page.locator("main h1")).to_have_text("Dossiers")
    expect(page.locator(".table-cases thead th")).to_have_text(
        ["Référence", "Débiteur", "Client", "Statut", "Ouvert le", "Chargé de recouvrement", "Reste dû"]
    )
    everything = {c.reference for c in live_server.cases}
    assert case_count(page) == len(everything)
    assert set(listed_references(page)) == everything
    assert listed_references(page)[0] == live_server.cases_a[2].reference  # newest first
    tbody = page.locator(".table-cases tbody")
    expect(tbody).to_contain_text(live_server.client_a)
    expect(tbody).to_contain_text(live_server.client_b)
    first_case = tbody.locator("tr", has_text=live_server.cases_a[0].reference)
    expect(first_case).to_contain_text(re.compile(r"Mme Jeanne LEFÈVRE\s+· Particulier"))
    expect(first_case).to_contain_text("En cours")
    expect(first_case).to_contain_text("02/03/2026")
    expect(first_case.locator("td.amount")).to_have_text(re.compile(r"^1\s734,56\s€$"))
    screenshot(page, "case-list-collector")

    search_cases(page, q="Girard")  # Paul Girard owes one client each
    girard = {c.reference for c in live_server.cases if "GIRARD" in c.debtor_name}
    assert len(girard) == 2
    assert case_count(page) == 2
    assert set(listed_references(page)) == girard
    expect(page).to_have_url(re.compile(r"[?&]q=Girard"))
    expect(page.locator("#q")).to_have_value("Girard")

    target = live_server.cases_a[1]
    search_cases(page, q=target.reference)
    assert listed_references(page) == [target.reference]
    expect(page.get_by_test_id("case-count")).to_have_text("1 dossier")
    expect(tbody).to_contain_text("Garage Martin SARL")

    search_cases(page, q="lefèvre")  # lower case and accented, as typed during a call
    assert listed_references(page) == [live_server.cases_a[0].reference]

    search_cases(page, q="06 12 34 56 78")  # a phone number as a French debtor reads it out
    assert listed_references(page) == [live_server.cases_a[0].reference]

    search_cases(page, q="", status="dispute")
    assert listed_references(page) == [target.reference]
    expect(page.locator("#status option:checked")).to_have_text("Contesté")
    expect(tbody.locator(".badge")).to_have_text(["Contesté"])

    search_cases(page, q="Roux", status="dispute")  # nobody matches both
    expect(page.get_by_test_id("case-count")).to_have_text("0 dossier")
    expect(tbody.locator("tr")).to_have_text(["Aucun dossier ne correspond."])

    page.get_by_role("link", name="Réinitialiser").click()
    page.wait_for_url(re.compile(r"/cases/$"))
    assert case_count(page) == len(everything)


def test_collector_reads_a_case_file(page: Page, live_server):
    sign_in(page, live_server.collector)
    case = live_server.cases_a[0]
    page.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/cases/{case.id}")
    expect(page).to_have_title(f"{case.reference} · Amiable")
    expect(page.get_by_test_id("case-reference")).to_have_text(case.reference)
    main = page.locator("main")
    expect(main).to_contain_text(re.compile(rf"Client\s+:\s+{live_server.client_a}\s+· réf. client C-1001"))
    expect(main).to_contain_text("Ouvert le 2 mars 2026")
    expect(main).to_contain_text("Chargé de recouvrement : Camille Recouvreur")

    debtor = page.get_by_test_id("debtor")
    expect(debtor).to_contain_text("Débiteur")
    expect(debtor.get_by_role("link", name="Mme Jeanne LEFÈVRE")).to_be_visible()
    expect(debtor).to_contain_text("Personne physique")
    contacts = page.get_by_test_id("contact-points")
    expect(contacts.locator("li")).to_have_count(3)
    expect(contacts).to_contain_text(
        re.compile(r"Téléphone \(mobile\)\s+:\s+06 12 34 56 78")  # shown the way it is dialled
    )
    expect(contacts).to_contain_text(f"E-mail : {live_server.email}")
    expect(contacts).to_contain_text(re.compile(r"Adresse\s+:\s+12 rue des Lilas,\s+69003 Lyon"))

    claims = page.get_by_test_id("claims")
    expect(claims.locator("thead th")).to_have_text(
        ["Facture", "Émise le", "Échéance", "Jours de retard", "Montant"]
    )
    expect(claims.locator("tbody tr")).to_have_count(2)
    amounts = [squash(t) for t in claims.locator("tbody td.amount").all_inner_texts()]
    assert sorted(amounts) == ["1 234,56 €", "500,00 €"]
    expect(claims.locator("tbody tr").first).to_contain_text("01/01/2026")  # due 60 days before opening

    assert squash(page.get_by_test_id("outstanding").inner_text()) == "1 734,56 €"
    balance = page.get_by_test_id("balance")
    expect(balance.locator("tr", has_text="Principal")).to_contain_text(re.compile(r"1\s734,56\s€"))
    expect(balance.locator("tr", has_text="Intérêts")).to_contain_text(re.compile(r"0,00\s€"))
    expect(page.locator("[data-testid=ledger] tbody tr")).to_have_count(2)

    history = page.get_by_test_id("history")
    expect(history.locator("li")).to_have_count(2)
    note, call = history.locator("li").first, history.locator("li").nth(1)  # newest first
    expect(note).to_contain_text("Note")
    expect(page.get_by_test_id("internal-note")).to_have_text(live_server.note)
    expect(note).to_contain_text("10/03/2026 10:30 · Camille Recouvreur")  # 09:30 UTC, shown in Paris time
    expect(call).to_contain_text(re.compile(r"Appel\s+· Débiteur joint"))
    screenshot(page, "case-collector")
