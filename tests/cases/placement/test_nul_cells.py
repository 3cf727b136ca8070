"""A NUL character in a placement cell is refused at its row and field: PostgreSQL cannot store it."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from agency.db import db
from cases.models import Claim
from cases.placement.models import PlacementSource
from cases.placement.placements import check_placement, confirm_placement, import_placement, receive_file
from debtors.models import Debtor
from tests import factories

HEADER = ["N° facture", "Échéance", "Montant TTC", "Raison sociale", "Ville"]
GOOD = ["F-1", "01/02/2026", "100,00", "Garage Lopez SARL", "Lyon"]
# "_x0000_" is how an XLSX file writes a NUL character; the reader decodes it.
XLSX_NUL = "_x0000_"


def xlsx(*rows: list[str]) -> bytes:
    book = openpyxl.Workbook()
    for row in (HEADER, *rows):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(*rows: list[str]) -> bytes:
    return "\n".join(";".join(row) for row in (HEADER, *rows)).encode()


def import_valid_rows(data: bytes, filename: str):
    """Check the file, then import what the check accepted, as the web preview lets a user do."""
    placement = receive_file(factories.client(), data, filename, actor=None, source=PlacementSource.SHELL.value)
    check_placement(placement)
    confirm_placement(placement, None)
    import_placement(placement, None)
    db.session.flush()
    return placement


def names() -> set[str]:
    return set(db.session.scalars(sa.select(Debtor.company_name)))


def test_a_nul_in_a_csv_cell_is_refused_at_its_line_and_field(db_session):
    bad = ["F-2", "01/02/2026", "50,00", "Garage\x00Martin SARL", "Lyon\x00"]
    placement = import_valid_rows(csv(GOOD, bad), "factures.csv")
    assert (placement.rows_valid, placement.rows_rejected) == (1, 1)
    refused = {(r["line"], r["field"], r["code"]) for r in placement.report["rejections"]}
    assert refused == {(3, "debtor_name", "nul_character"), (3, "city", "nul_character")}
    assert all("\x00" not in r["value"] for r in placement.report["rejections"])
    assert "Garage Lopez SARL" in names() and not any("Martin" in name for name in names())
    assert set(db.session.scalars(sa.select(Claim.invoice_number).where(Claim.client_id == placement.client_id))) == {
        "F-1"}


def test_a_nul_in_an_xlsx_cell_is_refused_at_its_row_and_field(db_session):
    bad = ["F-2", "01/02/2026", "50,00", f"Garage{XLSX_NUL}Martin SARL", "Lyon"]
    placement = import_valid_rows(xlsx(GOOD, bad), "factures.xlsx")
    assert (placement.rows_valid, placement.rows_rejected) == (1, 1)
    rejection = placement.report["rejections"][0]
    assert (rejection["line"], rejection["field"], rejection["code"]) == (3, "debtor_name", "nul_character")
    assert rejection["reason"] and not any("Martin" in name for name in names())
