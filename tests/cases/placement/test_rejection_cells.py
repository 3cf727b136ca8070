"""The rejections a client downloads repeat what its file held: none of it may run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import sqlalchemy as sa

from cases.placement.models import Placement
from tests import factories
from tests.cases.placement.test_pages import upload
from tests.hostile_cells import HOSTILE, csv_rows, neutralised

# The reader refuses a carriage return inside a cell (a malformed file), so that one never reaches the rejections.
VALUES = [value for value in HOSTILE if "\r" not in value]


def test_every_hostile_value_comes_back_as_text(client, db_session, login_as, run_jobs, time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False)  # the invoices' dates are past
    creditor = factories.client()
    login_as("client", client_row=creditor)
    # Each hostile text stands where a date is expected, so that every row is rejected with its value.
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["N° facture", "Date facture", "Échéance", "Montant TTC (€)", "Raison sociale"])
    writer.writerows([f"H-{n}", "02/01/2026", value, "10,00 €", f"Garage {n} SARL"]
                     for n, value in enumerate(VALUES))
    assert upload(client, out.getvalue()).status_code == 302
    run_jobs()
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))

    rows = csv_rows(client.get(f"/placements/{placement.id}/rejections.csv").get_data(as_text=True))
    assert rows[0] == ["Ligne", "Colonne", "Valeur", "Motif"]
    # The reader trims the cells (the tab goes), and what is left is written as text.
    assert [(row[1], row[2]) for row in rows[1:]] == [("Échéance", neutralised(value.strip())) for value in VALUES]
