"""Placements ("remises"): a client hands over unpaid invoices as a file, or through the API.

These tests write many cases, debtors and placements, so they run against a live server of their own
(seeded below) and leave the shared one, whose case counts the other modules check, untouched. Each
test places invoices for its own client with its own debtors, so the figures do not depend on order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.e2e.conftest import open_page, serve
from tests.e2e.helpers import screenshot, sign_in, squash

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

ADMIN = "admin@amiable.example.com"
MANAGER = "manager@amiable.example.com"
FROMAGERIE_USER = "compta@fromagerie-vercors.example.com"
IMPRIMERIE_USER = "gestion@imprimerie-rhone.example.com"
FROMAGERIE = "Fromagerie du Vercors SAS"
IMPRIMERIE = "Imprimerie Rhône-Alpes SARL"
MENUISERIE = "Menuiserie Lambert SARL"
PHARMACIE = "Pharmacie des Halles"
PLACEMENT_URL = re.compile(r"/placements/(\d+)$")


@dataclass(frozen=True)
class PlacementWorld:
    url: str
    fromagerie_case: str  # the reference of the one case the Fromagerie had before placing files


def _seed_placements() -> dict:
    from agency.db import db

    fromagerie = factories.client(code="FROM", name=FROMAGERIE)
    imprimerie = factories.client(code="IMPR", name=IMPRIMERIE)
    factories.client(code="MENU", name=MENUISERIE)
    factories.client(code="PHAR", name=PHARMACIE)
    factories.user("admin", email=ADMIN, name="Alice Admin")
    factories.user("manager", email=MANAGER, name="Marc Manager")
    factories.user("client", client=fromagerie, email=FROMAGERIE_USER, name="Bernadette Rey")
    factories.user("client", client=imprimerie, email=IMPRIMERIE_USER, name="Yann Morel")
    earlier = factories.case(fromagerie, factories.debtor(first_name="Luc", last_name="Perrin"))
    db.session.commit()
    return {"fromagerie_case": earlier.reference}


@pytest.fixture(scope="module")
def placement_world(tmp_path_factory) -> Iterator[PlacementWorld]:
    with serve(tmp_path_factory.mktemp("e2e-placements"), _seed_placements) as (url, seeded):
        yield PlacementWorld(url=url, **seeded)


@pytest.fixture
def page(browser: Browser, placement_world: PlacementWorld) -> Iterator[Page]:
    """This module's pages open on its own live server."""
    with open_page(browser, placement_world.url) as tab:
        yield tab


# The headers and layout of an export from a French accounting package: ";" separated, Windows-1252,
# decimal comma, a no-break space between thousands, dd/mm/yyyy, a quoted cell holding a ";", CRLF.
FRENCH_HEADERS = [
    "N° facture", "Date facture", "Échéance", "Montant TTC", "Raison sociale", "SIREN", "E-mail",
    "Téléphone", "Adresse", "Code postal", "Ville",
]  # fmt: skip
JULY_ROWS = [
    ["FV-26-0412", "15/06/2026", "15/07/2026", "1 250,00", "Garage des Alpes SARL", "812345676",
     "compta@garage-alpes.example.fr", "04 76 12 34 56", "ZA des Îles; lot 4", "38000", "Grenoble"],
    ["FV-26-0413", "20/06/2026", "20/07/2026", "349,90", "Mme Élodie Fournier", "",
     "elodie.fournier@example.fr", "06 71 23 45 67", "5 rue Voltaire", "38100", "Grenoble"],
    ["FV-26-0415", "02/07/2026", "01/08/2026", "2 480,50", "Garage des Alpes SARL", "812345676",
     "compta@garage-alpes.example.fr", "04 76 12 34 56", "ZA des Îles; lot 4", "38000", "Grenoble"],
    ["FV-26-0420", "10/07/2026", "31/09/2026", "99,00", "Café de la Gare SARL", "",  # no 31 September
     "contact@cafe-gare.example.fr", "", "1 place de la Gare", "38500", "Voiron"],
    ["FV-26-0421", "12/07/2026", "12/08/2026", "1 080,00", "Transports Chabert SAS", "812345670",  # bad key
     "", "04 74 85 00 00", "8 route de Lyon", "38200", "Vienne"],
    ["FV-26-0422", "15/07/2026", "14/08/2026", "12\u00a0345,67", "Hôtel Bellevue SAS", "823456785",
     "reservation@hotel-bellevue.example.fr", "04 76 98 76 54", "2 quai Stéphane Jay", "38000", "Grenoble"],
]  # fmt: skip


def write_csv(path: Path, headers: list[str], rows: list[list[str]], encoding: str = "cp1252") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def upload(page: Page, path: Path, client: str | None = None) -> int:
    """Open the upload form from the placement history, send `path`, return the new placement's id."""
    page.get_by_test_id("main-nav").get_by_role("link", name="Remises").click()
    page.wait_for_url("**/placements/")
    page.get_by_role("link", name="Remettre des factures").click()
    page.wait_for_url("**/placements/new")
    if client is not None:
        page.locator("#client_id").select_option(label=client)
    page.locator("#file").set_input_files(path)
    page.get_by_role("button", name="Envoyer et vérifier").click()
    page.wait_for_url(re.compile(r"/placements/\d+(/mapping)?$"))
    return int(re.search(r"/placements/(\d+)", page.url).group(1))


def figures(page: Page) -> dict[str, str]:
    """Read the report's figure cards as {label: value} (the labels as written, not as styled: upper case)."""
    cards = page.get_by_test_id("figures").locator(".card-body").all()
    return {
        squash(c.locator(".card-title-sm").text_content()): squash(c.locator(".fs-4").text_content())
        for c in cards
    }


def table_rows(page: Page, test_id: str) -> list[list[str]]:
    rows = page.get_by_test_id(test_id).locator("tbody tr").all()
    return [[squash(cell) for cell in row.locator("td").all_inner_texts()] for row in rows]


def first_values(page: Page, field: str):
    """The mapping page's "first values" cell of one field."""
    select = page.locator(f"select[name=field_{field}]")
    return page.get_by_test_id("mapping").locator("tr", has=select).locator("td").nth(2)


def listed_references(page: Page) -> set[str]:
    return {squash(t) for t in page.locator(".table-cases tbody td:first-child a").all_inner_texts()}


def case_count(page: Page) -> int:
    match = re.fullmatch(r"(\d+) dossiers?", squash(page.get_by_test_id("case-count").inner_text()))
    assert match, page.get_by_test_id("case-count").inner_text()
    return int(match.group(1))


def test_client_places_a_french_csv_and_imports_it(page: Page, placement_world: PlacementWorld, tmp_path):
    path = write_csv(tmp_path / "Impayés juillet 2026.csv", FRENCH_HEADERS, JULY_ROWS)
    assert "É".encode("cp1252") in path.read_bytes()  # really Windows-1252, not UTF-8
    sign_in(page, FROMAGERIE_USER)
    placement_id = upload(page, path)

    expect(page).to_have_url(PLACEMENT_URL)
    expect(page.get_by_test_id("placement-status")).to_have_text("à confirmer")
    expect(page.locator("main h1")).to_have_text(re.compile(r"^Remise du \d{2}/\d{2}/\d{4}"))
    expect(page.locator("main")).to_contain_text("Impayés juillet 2026.csv")
    assert figures(page) == {
        "Lignes du fichier": "6",
        "Lignes valides": "4",
        "Lignes rejetées": "2",
        "Déjà remises": "0",
        "Dossiers à ouvrir": "3",  # the Garage des Alpes's two invoices go in one case
        "Dossiers recevant des factures": "0",
        # No "known debtors" figure for a client: it would tell that another client pursues a debtor.
        "Montant des lignes valides": "16 426,07 €",  # decimal commas and the no-break space read right
    }
    expect(page.get_by_test_id("rejections").locator("thead th")).to_have_text(
        ["Ligne", "Colonne", "Valeur", "Motif"]
    )
    assert table_rows(page, "rejections") == [
        ["5", "Échéance", "31/09/2026", "Cette date n'existe pas."],
        ["6", "SIREN", "812345670", "SIREN (9 chiffres) ou SIRET (14 chiffres) invalide."],
    ]
    expect(page.get_by_test_id("already-placed")).to_have_count(0)
    import_button = page.get_by_role("button", name="Importer 4 factures")
    expect(import_button).to_be_enabled()
    screenshot(page, "placement-report")

    import_button.click()
    page.wait_for_url(f"**/placements/{placement_id}")
    expect(page.get_by_test_id("placement-status")).to_have_text("importée")
    assert figures(page)["Dossiers ouverts"] == "3"
    expect(page.locator("form[action$='/confirm'], form[action$='/cancel']")).to_have_count(0)
    screenshot(page, "placement-imported")

    page.get_by_role("link", name="Voir les dossiers de cette remise").click()
    page.wait_for_url(f"**/cases/?placement={placement_id}")
    assert case_count(page) == 3
    imported = listed_references(page)
    debtors = page.locator(".table-cases tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(squash(d).split(" · ")[0] for d in debtors) == [
        "Garage des Alpes SARL",
        "Hôtel Bellevue SAS",
        "Mme Élodie FOURNIER",  # the civility of the file is kept
    ]
    page.locator(".table-cases tbody tr", has_text="Garage des Alpes SARL").locator("td a").click()
    claims = page.get_by_test_id("claims")
    expect(claims.locator("tbody tr")).to_have_count(2)
    assert sorted(squash(t) for t in claims.locator("tbody td.amount").all_inner_texts()) == [
        "1 250,00 €",
        "2 480,50 €",
    ]
    assert squash(page.get_by_test_id("outstanding").inner_text()) == "3 730,50 €"
    page.goto("/cases/")
    assert listed_references(page) == imported | {placement_world.fromagerie_case}  # exactly those three

    page.get_by_test_id("main-nav").get_by_role("link", name="Remises").click()
    page.wait_for_url("**/placements/")
    history = page.get_by_test_id("placements")
    expect(history.locator("thead th")).to_have_text(
        ["Date", "Fichier", "Statut", "Lignes", "Rejetées", "Nouveaux dossiers", "Montant remis", "Par"]
    )
    row = history.locator("tbody tr", has_text="Impayés juillet 2026.csv")
    expect(row).to_have_count(1)
    assert [squash(t) for t in row.locator("td").all_inner_texts()][1:] == [
        "Impayés juillet 2026.csv",
        "importée",
        "6",
        "2",
        "3",
        "16 426,07 €",
        "Bernadette Rey",
    ]
    expect(row.get_by_role("link", name="Impayés juillet 2026.csv")).to_have_attribute(
        "href", f"/placements/{placement_id}"
    )
    screenshot(page, "placements-list")


def test_the_same_file_twice_places_nothing_again(page: Page, tmp_path):
    rows = [
        ["IMP-7781", "05/06/2026", "05/07/2026", "480,00", "Librairie Le Square SARL", "834567893",
         "compta@librairie-square.example.fr", "", "2 place Grenette", "38000", "Grenoble"],
        ["IMP-7790", "12/06/2026", "12/07/2026", "1 915,20", "M. Karim Benali", "",
         "karim.benali@example.fr", "06 12 98 76 54", "14 rue Servan", "69003", "Lyon"],
        ["IMP-7802", "19/06/2026", "19/07/2026", "260,00", "Association Les Amis du Rail", "",
         "tresorier@amis-du-rail.example.org", "", "Gare de Saint-Rambert", "26140", "Saint-Rambert-d'Albon"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "export-relances.csv", FRENCH_HEADERS, rows)
    sign_in(page, IMPRIMERIE_USER)
    first_id = upload(page, path)
    expect(page.locator(".alert-warning")).to_have_count(0)
    page.get_by_role("button", name="Importer 3 factures").click()
    expect(page.get_by_test_id("placement-status")).to_have_text("importée")
    page.goto(f"/cases/?placement={first_id}")
    placed = listed_references(page)
    assert len(placed) == 3

    second_id = upload(page, path)
    assert second_id != first_id
    warning = page.locator(".alert-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text(
        re.compile(rf"Ce fichier a déjà été remis le \d{{2}}/\d{{2}}/\d{{4}} \d{{2}}:\d{{2}} \(remise n° {first_id}\)")
    )
    expect(page.get_by_test_id("placement-status")).to_have_text("à confirmer")
    numbers = figures(page)
    expected = {"Lignes du fichier": "3", "Lignes valides": "0", "Déjà remises": "3", "Montant des lignes valides": "0,00 €"}
    assert numbers.items() >= expected.items(), numbers
    already = table_rows(page, "already-placed")
    assert [(r[0], r[1]) for r in already] == [("2", "IMP-7781"), ("3", "IMP-7790"), ("4", "IMP-7802")]
    assert {r[2] for r in already} == placed  # each points at the case it went into the first time
    assert [r[3] for r in already] == ["480,00 €", "1 915,20 €", "260,00 €"]
    expect(page.get_by_test_id("already-placed").locator(".badge")).to_have_count(0)  # same amounts
    expect(page.locator("form[action$='/confirm'] button")).to_be_disabled()
    expect(page.get_by_test_id("rejections")).to_have_count(0)
    screenshot(page, "placement-already-placed")
    page.goto("/cases/")
    assert case_count(page) == 3


def test_manager_maps_the_columns_of_an_unknown_layout(page: Page, tmp_path):
    headers = ["Col A", "Col B", "Col C", "Col D"]
    rows = [
        ["ML-2026-031", "30/06/2026", "Dupuis Rénovation SARL", "3 600,00"],
        ["ML-2026-034", "15/07/2026", "Mme Chantal Roche", "1 180,00"],
        ["ML-2026-036", "31/07/2026", "SCI Les Tilleuls", "740,00"],
    ]
    path = write_csv(tmp_path / "export.csv", headers, rows, encoding="utf-8")
    sign_in(page, MANAGER)
    placement_id = upload(page, path, client=MENUISERIE)

    page.wait_for_url(f"**/placements/{placement_id}/mapping")
    expect(page.locator("main h1")).to_have_text("Correspondance des colonnes")
    intro = re.compile(
        rf"export\.csv · 3 lignes ·\s+Indiquez ce que contient chaque colonne\..* de {MENUISERIE}\."
    )
    expect(page.locator("main")).to_contain_text(intro)
    mapping = page.get_by_test_id("mapping")
    expect(mapping.locator("tbody tr")).to_have_count(21)  # one per field the app knows
    invoice = mapping.locator("select[name=field_invoice_number]")
    expect(invoice.locator("option")).to_have_text(["— absent du fichier —", *headers])
    for select in mapping.locator("select").all():
        expect(select).to_have_value("")  # nothing guessed from "Col A"…
    screenshot(page, "placement-mapping")

    # The amount is forgotten: the page says so, keeps the choices and shows their first values.
    invoice.select_option(label="Col A")
    mapping.locator("select[name=field_due_date]").select_option(label="Col B")
    mapping.locator("select[name=field_debtor_name]").select_option(label="Col C")
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator(".alert-danger")).to_have_text("Indiquez quelle colonne contient : Montant.")
    expect(page).to_have_url(re.compile(rf"/placements/{placement_id}/mapping$"))
    expect(invoice).to_have_value("0")
    expect(first_values(page, "invoice_number")).to_have_text("ML-2026-031 · ML-2026-034 · ML-2026-036")
    expect(first_values(page, "due_date")).to_have_text("30/06/2026 · 15/07/2026 · 31/07/2026")
    expect(first_values(page, "amount")).to_have_text("")
    screenshot(page, "placement-mapping-error")

    mapping.locator("select[name=field_amount]").select_option(label="Col D")
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_url(f"**/placements/{placement_id}")
    expect(page.get_by_test_id("placement-status")).to_have_text("à confirmer")
    expect(page.locator("main")).to_contain_text(MENUISERIE)
    numbers = figures(page)
    expected = {
        "Lignes du fichier": "3",
        "Lignes valides": "3",
        "Lignes rejetées": "0",
        "Montant des lignes valides": "5 520,00 €",
    }
    assert numbers.items() >= expected.items(), numbers
    expect(page.get_by_role("button", name="Importer 3 factures")).to_be_enabled()

    # The mapping is kept for the client's next file with the same headers: straight to the report.
    august = [["ML-2026-041", "31/08/2026", "M. Paul Vidal", "95,00"]]
    later = write_csv(tmp_path / "export-aout.csv", headers, august)
    next_id = upload(page, later, client=MENUISERIE)
    expect(page).to_have_url(re.compile(rf"/placements/{next_id}$"))
    assert figures(page)["Montant des lignes valides"] == "95,00 €"


def test_mapping_page_shows_first_values_before_any_choice(page: Page, tmp_path):
    """A manager facing "Col A", "Col B" needs to see what they hold before choosing."""
    path = write_csv(tmp_path / "vide.csv", ["Col A", "Col B"], [["ML-2026-900", "12,00"]], encoding="utf-8")
    sign_in(page, MANAGER)
    upload(page, path, client=MENUISERIE)
    page.wait_for_url("**/mapping")  # a TimeoutError here fails the test: it is not the expected failure
    expect(page.get_by_test_id("file-columns")).to_contain_text("ML-2026-900", timeout=1_000)


def test_admin_issues_an_api_token_then_revokes_it(page: Page, placement_world: PlacementWorld):
    sign_in(page, ADMIN)
    page.get_by_test_id("main-nav").get_by_role("link", name="Clients").click()
    page.wait_for_url("**/clients")
    card = page.get_by_test_id("client").filter(has_text=PHARMACIE)
    tokens = card.get_by_test_id("api-tokens")
    expect(tokens).to_contain_text("Aucun jeton d'API.")
    tokens.get_by_label("À quoi sert-il ?").fill("Logiciel de facturation")
    tokens.get_by_role("button", name="Créer un jeton d'API").click()
    page.wait_for_url(re.compile(r"/clients(#client-\d+)?$"))
    flash = page.locator(".alert-success")
    expect(flash).to_contain_text(f"Nouveau jeton d'API pour {PHARMACIE} — copiez-le maintenant")
    token = re.search(r"amb_[A-Za-z0-9_-]{43}", flash.inner_text()).group(0)
    item = tokens.locator("li", has_text=token[:10])
    expect(item).to_contain_text(re.compile(rf"{token[:10]}…\s+Logiciel de facturation\s+créé le"))
    expect(tokens).not_to_contain_text(token)  # the list shows the prefix only
    screenshot(page, "clients-tokens")

    api = page.request
    auth = {"Authorization": f"Bearer {token}"}
    invoices = [  # keyed by the field names of a placement file, as an ERP would send them
        {
            "invoice_number": "PH-2026-118",
            "issue_date": "2026-06-03",
            "due_date": "2026-07-03",
            "amount": "86.40",
            "debtor_name": "M. Henri Blanc",
            "email": "henri.blanc@example.fr",
        },
        {
            "invoice_number": "PH-2026-131",
            "issue_date": "2026-06-20",
            "due_date": "2026-07-20",
            "amount": "212.15",
            "debtor_name": "EHPAD Les Glycines SAS",
            "siren": "845678903",
            "postcode": "38000",
            "city": "Grenoble",
        },
    ]
    created = api.post("/api/v1/placements", data={"invoices": invoices}, headers=auth)
    assert created.status == 201, created.text()
    body = created.json()
    expected = {"written": True, "status": "imported", "rows_valid": 2, "total_cents": 29_855}
    assert body.items() >= expected.items(), body
    references = body["case_references"]
    assert len(references) == 2 and all(re.fullmatch(r"D\d{2}-\d{6}", r) for r in references), references
    case = api.get(f"/api/v1/cases/{references[0]}", headers=auth)
    assert case.status == 200, case.text()
    assert case.json()["reference"] == references[0]
    assert case.json()["invoices"][0]["invoice_number"] in {"PH-2026-118", "PH-2026-131"}
    assert api.get(f"/api/v1/cases/{references[0]}").status == 401  # the admin's session cookie is no key
    assert api.get("/api/v1/cases/D00-NOPE", headers=auth).status == 404

    page.reload()
    paris_today = datetime.now(ZoneInfo("Europe/Paris"))
    expect(item).to_contain_text(f"dernière utilisation le {paris_today:%d/%m/%Y}")
    item.get_by_role("button", name="Révoquer").click()
    page.wait_for_url(re.compile(r"/clients(#client-\d+)?$"))
    expect(page.locator(".alert-info")).to_contain_text(f"Jeton {token[:10]}… révoqué.")
    expect(item.locator(".badge")).to_have_text("révoqué")
    expect(item.get_by_role("button", name="Révoquer")).to_have_count(0)

    refused = api.get(f"/api/v1/cases/{references[0]}", headers=auth)
    assert refused.status == 401
    assert refused.json()["error"] == "invalid_token"
    again = api.post("/api/v1/placements", data={"invoices": invoices}, headers=auth)
    assert again.status == 401


def test_client_cancels_a_placement_and_nothing_is_written(page: Page, tmp_path):
    rows = [
        ["FV-26-0510", "01/08/2026", "31/08/2026", "612,00", "Restaurant Le Chamois SARL", "856789011",
         "direction@chamois.example.fr", "04 76 95 11 22", "Route des Crêtes", "38250", "Villard-de-Lans"],
        ["FV-26-0511", "03/08/2026", "02/09/2026", "75,30", "M. Gérard Tissot", "",
         "g.tissot@example.fr", "", "7 chemin des Prés", "38250", "Lans-en-Vercors"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "Impayés août 2026.csv", FRENCH_HEADERS, rows)
    sign_in(page, FROMAGERIE_USER)
    before = case_count(page)
    placement_id = upload(page, path)
    expect(page.get_by_test_id("placement-status")).to_have_text("à confirmer")
    assert figures(page)["Dossiers à ouvrir"] == "2"

    page.get_by_role("button", name="Annuler").click()
    page.wait_for_url(f"**/placements/{placement_id}")
    expect(page.locator(".alert-info")).to_have_text("Remise annulée : rien n'a été enregistré.")
    status = page.get_by_test_id("placement-status")
    expect(status).to_have_text("annulée")
    expect(page.locator(".alert-secondary")).to_have_text(
        "Cette remise a été annulée ; rien n'a été enregistré."
    )
    expect(page.locator("form[action$='/confirm'], form[action$='/cancel']")).to_have_count(0)
    expect(page.get_by_role("link", name="Voir les dossiers de cette remise")).to_have_count(0)

    page.goto(f"/cases/?placement={placement_id}")
    assert case_count(page) == 0
    page.goto("/cases/")
    assert case_count(page) == before
    page.goto("/placements/")
    row = page.get_by_test_id("placements").locator("tbody tr", has_text="Impayés août 2026.csv")
    expect(row.get_by_test_id("placement-status")).to_have_text("annulée")
    screenshot(page, "placements-list-cancelled")
