"""Placing a file from the pages, as a client user and as a manager; and from the shell."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from agency.models import AuditEvent
from cases.models import Case, Claim
from cases.placement.models import ColumnMapping, Placement
from tests import factories
from tests.conftest import csrf_token

GOOD = (
    "N° facture;Date facture;Échéance;Montant TTC (€);Raison sociale;SIRET;Email;Téléphone\n"
    "P-1;02/01/2026;01/02/2026;1 234,56 €;Boulangerie Martin SARL;73282932000074;compta@martin.example.com;04 78 12 34 56\n"
    "P-2;05/01/2026;04/02/2026;45,00 €;Jeanne DURAND;;jeanne.durand@example.com;06 12 34 56 78\n"
    "P-3;05/01/2026;;45,00 €;Paul PETIT;;;\n"
)
ODD_HEADERS = "Col A;Col B;Col C;Col D\nQ-1;01/02/2026;10,00;DURAND Jeanne\n"


def upload(client, content: str, filename: str = "factures.csv", **extra):
    token = csrf_token(client, "/placements/new")
    data = {"csrf_token": token, "file": (io.BytesIO(content.encode("cp1252")), filename), **extra}
    return client.post("/placements/new", data=data, content_type="multipart/form-data")


def claims(client_row) -> int:
    from agency.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.client_id == client_row.id))


def test_client_user_uploads_previews_and_confirms(client, db_session, login_as, run_jobs):
    creditor = factories.client()
    login_as("client", client_row=creditor)
    response = upload(client, GOOD)
    assert response.status_code == 302
    placement_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    progress = client.get(f"/placements/{placement_id}/progress").json
    # Real mode: the check waits for a worker; embedded mode: it ran inline during the upload.
    assert (progress["status"], progress["job"]["status"]) in (("validating", "queued"), ("validated", "finished"))
    run_jobs()
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert placement.status == "validated" and claims(creditor) == 0
    rejections = page[page.index('data-testid="rejections"'):]
    assert re.search(r"<td>4</td><td>Échéance</td>", rejections)  # line 4, the due date column
    assert placement.rows_rejected == 1 and placement.rows_valid == 2

    confirm = client.post(f"/placements/{placement.id}/confirm", data={"csrf_token": csrf_token(client, "/placements/")})
    assert confirm.status_code == 302
    run_jobs()
    db_session.refresh(placement)
    assert placement.status == "imported" and claims(creditor) == 2
    listing = client.get(f"/cases/?placement={placement.id}").get_data(as_text=True)
    assert len(re.findall(r'href="/cases/\d+"', listing)) == 2
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "placement.confirmed")).actor_id
    history = client.get("/placements/").get_data(as_text=True)
    assert "factures.csv" in history and "1 279,56" in history.replace("\u202f", " ").replace("\xa0", " ")


def test_first_upload_asks_for_the_mapping_and_saves_it(client, db_session, login_as, run_jobs):
    creditor = factories.client()
    login_as("manager")
    response = upload(client, ODD_HEADERS, client_id=str(creditor.id))
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    assert placement.status == "mapping" and response.headers["Location"].endswith("/mapping")
    assert "Col A" in client.get(response.headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, "/placements/"), "field_invoice_number": "0", "field_due_date": "1",
            "field_amount": "2", "field_debtor_name": "3"}
    assert client.post(f"/placements/{placement.id}/mapping", data=data).status_code == 302
    run_jobs()
    db_session.refresh(placement)
    assert placement.status == "validated" and placement.rows_valid == 1
    assert db_session.get(ColumnMapping, creditor.id) is not None
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "placement.mapped")).subject_id == placement.id

    again = upload(client, ODD_HEADERS.replace("Q-1", "Q-2"), client_id=str(creditor.id))
    assert not again.headers["Location"].endswith("/mapping")  # the saved mapping is reused


def test_cancel_from_the_page_writes_nothing(client, db_session, login_as, run_jobs):
    creditor = factories.client()
    login_as("client", client_row=creditor)
    upload(client, GOOD)
    run_jobs()
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    client.post(f"/placements/{placement.id}/cancel", data={"csrf_token": csrf_token(client, "/placements/")})
    db_session.refresh(placement)
    assert placement.status == "cancelled" and claims(creditor) == 0


def test_sending_a_file_again_names_the_placement_that_placed_its_invoices(client, db_session, login_as, run_jobs):
    creditor = factories.client()
    login_as("client", client_row=creditor)

    def send() -> tuple[int, str]:
        response = upload(client, GOOD)
        run_jobs()
        return int(response.headers["Location"].rstrip("/").split("/")[-1]), client.get("/placements/").get_data(
            as_text=True)

    placed, _page = send()
    client.post(f"/placements/{placed}/confirm", data={"csrf_token": csrf_token(client, "/placements/")})
    run_jobs()
    cancelled, page = send()
    assert "Ce fichier a déjà été remis le" in page and f"(remise n° {placed})" in page
    client.post(f"/placements/{cancelled}/cancel", data={"csrf_token": csrf_token(client, "/placements/")})
    _third, page = send()
    # The cancelled upload in between placed nothing: the warning names the one that did.
    assert f"(remise n° {placed})" in page and f"(remise n° {cancelled})" not in page


def test_upload_is_refused_without_mandate_with_a_clear_message(client, db_session, login_as):
    creditor = factories.client(with_mandate=False)
    login_as("client", client_row=creditor)
    response = upload(client, GOOD)
    assert response.status_code == 400 and "R124-3" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0


def test_client_users_see_only_their_placements(client, db_session, login_as):
    mine, theirs = factories.client(), factories.client()
    other = factories.placement(theirs)
    db_session.commit()
    login_as("client", client_row=mine)
    assert client.get(f"/placements/{other.id}").status_code == 404
    assert client.get(f"/placements/{other.id}/progress").status_code == 404
    assert client.post(f"/placements/{other.id}/confirm",
                       data={"csrf_token": csrf_token(client, "/placements/")}).status_code == 404


def test_shell_import_dry_run_then_real(app, db_session, tmp_path):
    creditor = factories.client(code="BOULANGE")
    db_session.commit()
    path = tmp_path / "placement.csv"
    path.write_bytes(GOOD.encode("cp1252"))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["cases", "import", str(path), "--client", "BOULANGE", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Lignes valides : 2" in dry.output and "ligne 4, Échéance" in dry.output  # row, column, reason
    assert claims(creditor) == 0
    real = runner.invoke(args=["cases", "import", str(path), "--client", "BOULANGE"])
    assert real.exit_code == 0, real.output
    assert claims(creditor) == 2
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.client_id == creditor.id)) == 2
    unknown = runner.invoke(args=["cases", "import", str(path), "--client", "NOPE"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_shell_import_of_invoices_already_placed_says_nothing_new_and_succeeds(app, db_session, tmp_path):
    creditor = factories.client(code="BOULANGE")
    db_session.commit()
    path = tmp_path / "placement.csv"
    path.write_bytes("\n".join(GOOD.splitlines()[:3]).encode("cp1252"))  # the two valid rows only
    runner = app.test_cli_runner()
    assert runner.invoke(args=["cases", "import", str(path), "--client", "BOULANGE"]).exit_code == 0
    placements = db_session.scalar(sa.select(sa.func.count()).select_from(Placement))
    again = runner.invoke(args=["cases", "import", str(path), "--client", "BOULANGE"])
    assert again.exit_code == 0, again.output
    assert "nothing new: the file's 2 invoices are already placed; nothing written" in again.output
    assert claims(creditor) == 2
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement)) == placements


def test_rejections_download_never_hands_a_formula_to_a_spreadsheet(client, db_session, login_as, run_jobs):
    creditor = factories.client()
    login_as("client", client_row=creditor)
    hostile = GOOD.replace("P-3;05/01/2026;;45,00 €", "P-3;05/01/2026;;=HYPERLINK(\"http://x.example\")")
    response = upload(client, hostile)
    run_jobs()
    placement_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    text = client.get(f"/placements/{placement_id}/rejections.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    amounts = [row for row in rows if row[0] == "4" and "HYPERLINK" in row[2]]
    assert amounts and all(row[2].startswith("'=") for row in amounts)  # shown as text, never run
