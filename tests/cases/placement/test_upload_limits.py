"""Files made to exhaust a worker: millions of rows in a small XLSX, cells far apart, rows repeated a million
times, members lying about their size, a hundred thousand columns. Each is refused early with the limit
named, within bounded memory (measured, never timed); and the mapping page never reads the file again."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
import sqlalchemy as sa

from cases.placement.limits import MAX_COLUMNS, MAX_ROWS
from cases.placement.reader import ReadError, read_table
from tests.cases.placement import spreadsheets
from tests.cases.placement.spreadsheets import (
    HEADER_ROW,
    invoice_rows,
    million_rows_xlsx,
    ods,
    xls,
    xlsb,
    xlsx,
)

ROOT = Path(__file__).resolve().parents[3]
BUDGET_MB = 400  # what a placement's check may use
ROWS_LIMIT = f"{MAX_ROWS:,}".replace(",", "\u202f")

_CHILD = textwrap.dedent("""
    import resource, sys
    # A regression must fail the test, not take the machine: allocations beyond 2 GB fail in this process.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from cases.placement.reader import ReadError, read_table
    data = sys.stdin.buffer.read()
    try:
        outcome = "read %d rows" % len(read_table(data, sys.argv[1]).rows)
    except ReadError as exc:
        outcome = "refused: %s" % exc
    print(outcome)
    # VmHWM: this program's own peak (ru_maxrss would count the forked test process before exec).
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024)
""")


def read_in_child(data: bytes, filename: str) -> tuple[str, float]:
    """Read the file in a fresh Python; return what happened and the process's peak resident memory in MB.

    A child, since calamine allocates outside Python (tracemalloc cannot see it) and a process's peak
    cannot be reset.
    """
    done = subprocess.run([sys.executable, "-c", _CHILD, filename], input=data, capture_output=True, cwd=ROOT,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    outcome, peak = done.stdout.decode().strip().rsplit("\n", 1)
    print(f"{filename}: {len(data) / 2**20:.2f} MB, {outcome}; peak {float(peak):.0f} MB")
    return outcome, float(peak)


def traced_peak_mb(read) -> float:
    """Run `read` under tracemalloc and return the peak of Python allocations in MB."""
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --- the reader -------------------------------------------------------------------------------------------


@pytest.mark.no_db
def test_a_2_mb_xlsx_of_four_million_rows_is_refused_before_anything_is_built():
    data = million_rows_xlsx()
    assert len(data) < 2.5 * 2**20
    outcome, peak = read_in_child(data, "factures.xlsx")
    assert outcome == f"refused: The file has more than {ROWS_LIMIT} invoice rows: split it into several placements."
    assert peak < BUDGET_MB


@pytest.mark.no_db
@pytest.mark.parametrize(("far_cell", "limit"), [("XFD1048576", "columns"), ("CV1048576", "invoice rows")])
def test_two_cells_far_apart_are_refused_before_the_reader_builds_the_grid_between_them(far_cell, limit):
    # Two cells in 2 KB: the spreadsheet reader would build every cell from A1 to the far one.
    data = xlsx([HEADER_ROW, b'<row r="1048576"><c r="%s"><v>1</v></c></row>' % far_cell.encode()])
    outcome, peak = read_in_child(data, "factures.xlsx")
    assert outcome.startswith("refused: The file has more than") and limit in outcome
    assert peak < BUDGET_MB


@pytest.mark.no_db
def test_an_ods_row_repeated_a_million_times_is_refused():
    content = (b'<table:table table:name="Factures"><table:table-row><table:table-cell office:value-type="string">'
               b"<text:p>Facture</text:p></table:table-cell></table:table-row>"
               b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
               b'table:number-columns-repeated="100" office:value-type="float" office:value="1"/>'
               b"</table:table-row></table:table>")
    outcome, peak = read_in_child(ods(content), "factures.ods")
    assert outcome.startswith("refused: The file has more than")
    assert peak < BUDGET_MB


@pytest.mark.no_db
def test_an_ods_with_trailing_empty_rows_and_columns_is_read():
    content = (b'<table:table table:name="Factures"><table:table-row>'
               b'<table:table-cell office:value-type="string"><text:p>Facture</text:p></table:table-cell>'
               b'<table:table-cell office:value-type="string"><text:p>Montant</text:p></table:table-cell>'
               b'<table:table-cell table:number-columns-repeated="16382"/></table:table-row><table:table-row>'
               b'<table:table-cell office:value-type="string"><text:p>F-1</text:p></table:table-cell>'
               b'<table:table-cell office:value-type="float" office:value="12.5"><text:p>12,5</text:p>'
               b'</table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048574">'
               b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>')
    table = read_table(ods(content), "factures.ods")
    assert (table.headers, table.rows) == (["Facture", "Montant"], [["F-1", "12.5"]])


TOO_LARGE_TO_READ = ("refused: The spreadsheet needs more memory to read than a placement may use (its cells "
                     "spread too far): send it as CSV or XLSX, or split it.")


@pytest.mark.no_db
def test_a_6_kb_xls_with_two_cells_far_apart_is_refused_without_the_reader_building_its_grid():
    # calamine would build the 16.7 million cells between A1 and IV65536: a gigabyte, in a child capped lower.
    data = xls([["Facture", "Montant"], ["F-1", 12.5]], far_cell=(65535, 255))
    assert len(data) < 8 * 1024
    outcome, peak = read_in_child(data, "factures.xls")
    assert outcome == TOO_LARGE_TO_READ
    assert peak < BUDGET_MB


@pytest.mark.no_db
def test_an_xlsb_of_two_cells_far_apart_is_refused_and_the_reading_process_lives_on():
    # In the reading process itself, calamine's failed allocation for a grid of 17 billion cells would abort it.
    data = xlsb([(0, 0, "Facture"), (1_048_575, 16_383, "x")])
    assert len(data) < 2048
    outcome, peak = read_in_child(data, "factures.xlsb")
    assert outcome == TOO_LARGE_TO_READ
    assert peak < BUDGET_MB


@pytest.mark.no_db
def test_an_xlsb_beyond_the_row_limit_is_refused_with_the_limit_named():
    data = xlsb([(0, 0, "Facture"), (1, 0, "F-1"), (MAX_ROWS + 2_000, 0, "F-2")])
    outcome, _peak = read_in_child(data, "factures.xlsb")
    assert outcome == f"refused: The file has more than {ROWS_LIMIT} invoice rows: split it into several placements."


def test_xls_and_xlsb_read_apart_give_the_same_table_as_in_process():
    rows = [["Facture", "Échéance", "Montant"], ["F-1", "2026-01-15", "12.50"], ["F-2", "2026-02-01", "7"]]
    from_xlsb = read_table(xlsb([(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)]),
                           "factures.xlsb")
    from_xls = read_table(xls([rows[0], ["F-1", "2026-01-15", 12.5], ["F-2", "2026-02-01", 7]]), "factures.bin")
    for table in (from_xlsb, from_xls):
        assert table.headers == rows[0]
        assert table.rows == [["F-1", "2026-01-15", "12.5" if table is from_xls else "12.50"],
                              ["F-2", "2026-02-01", "7"]]
        assert table.lines == [2, 3] and table.header_line == 1


def test_a_damaged_xls_is_refused_as_unreadable():
    with pytest.raises(ReadError, match="Le classeur est illisible"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "factures.xls")


@pytest.mark.no_db
def test_a_member_lying_about_its_size_or_declaring_too_much_is_refused_before_it_is_inflated():
    data = xlsx([HEADER_ROW, invoice_rows(2, 3)])
    assert len(read_table(data, "factures.xlsx").rows) == 2
    with pytest.raises(ReadError, match="once uncompressed"):
        read_table(spreadsheets.with_member_size(data, "xl/workbook.xml", 10), "factures.xlsx")
    with pytest.raises(ReadError, match="more than 256 MB once uncompressed"):
        read_table(spreadsheets.with_member_size(data, "xl/workbook.xml", 300 * 2**20), "factures.xlsx")


@pytest.mark.no_db
def test_a_hundred_thousand_columns_are_refused_at_the_header_in_a_csv_or_a_sheet():
    header = ";".join(f"Colonne {n}" for n in range(100_000))
    data = f"{header}\n{';'.join('x' * 100_000)}\n".encode()
    with pytest.raises(ReadError) as refused:
        read_table(data, "factures.csv")
    assert str(refused.value) == f"The file has more than {MAX_COLUMNS} columns: keep only the invoices' columns."
    peak = traced_peak_mb(lambda: pytest.raises(ReadError, read_table, data, "factures.csv"))
    assert peak < 50  # the header line and its cells, nothing more
    # A sheet holds 16,384 columns at most.
    cells = b"".join(b'<c r="%s1"><v>%d</v></c>' % (spreadsheets.column(n).encode(), n) for n in range(1, 16_385))
    with pytest.raises(ReadError, match=f"more than {MAX_COLUMNS} columns"):
        read_table(xlsx([b'<row r="1">' + cells + b"</row>"]), "factures.xlsx")


@pytest.mark.no_db
def test_csv_rows_are_counted_as_they_are_read_and_refused_past_the_limit():
    header = b"Facture;Montant\n"
    assert len(read_table(header + b"F;1\n" * MAX_ROWS, "factures.csv").rows) == MAX_ROWS
    bomb = header + b"F;1\n" * 10_000_000  # 40 MB of rows
    with pytest.raises(ReadError, match=f"more than {ROWS_LIMIT} invoice rows"):
        read_table(bomb, "factures.csv")
    peak = traced_peak_mb(lambda: pytest.raises(ReadError, read_table, bomb, "factures.csv"))
    assert peak < 100  # the rows up to the limit, not the ten million


@pytest.mark.no_db
def test_a_line_of_millions_of_separators_is_refused_before_it_is_split():
    data = b"Facture;Montant\nF-1;12\n" + b";" * 5_000_000 + b"\n"
    with pytest.raises(ReadError, match="Line 3 of the file is longer than"):
        read_table(data, "factures.csv")
    peak = traced_peak_mb(lambda: pytest.raises(ReadError, read_table, data, "factures.csv"))
    assert peak < 50


@pytest.mark.no_db
def test_a_sheet_whose_cells_carry_no_reference_is_placed_as_calamine_places_them():
    rows = b"<row><c><v>1</v></c><c t=\"inlineStr\"><is><t>DURAND</t></is></c></row>" * 3
    table = read_table(xlsx([HEADER_ROW, b'<row r="5">' + rows[5:]]), "factures.xlsx")
    assert (table.header_line, table.lines) == (1, [5, 6, 7]) and table.rows[0][:2] == ["1", "DURAND"]
    wide = b'<row r="3">' + b"<c><v>1</v></c>" * (MAX_COLUMNS + 1) + b"</row>"
    with pytest.raises(ReadError, match="columns"):
        read_table(xlsx([HEADER_ROW, wide]), "factures.xlsx")


# --- the pages and the API --------------------------------------------------------------------------------


def test_the_mapping_page_shows_the_first_rows_without_reading_the_stored_file(client, db_session, login_as):
    from cases.placement.models import Placement, PlacementFile
    from tests import factories
    from tests.cases.placement.test_pages import ODD_HEADERS, upload

    creditor = factories.client()
    login_as("client", client_row=creditor)
    response = upload(client, ODD_HEADERS)
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    assert placement.status == "mapping" and response.headers["Location"].endswith("/mapping")
    db_session.execute(sa.update(PlacementFile).where(PlacementFile.placement_id == placement.id)
                       .values(content=b"\x00 no longer a placement file"))
    db_session.commit()
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    columns = page.get_data(as_text=True).split('data-testid="file-columns"', 1)[1]
    assert "Col A" in columns and "Q-1" in columns and "DURAND Jeanne" in columns


def test_an_upload_of_a_hundred_thousand_columns_is_refused_on_a_short_page(client, db_session, login_as):
    from cases.placement.models import Placement
    from tests import factories
    from tests.conftest import csrf_token

    creditor = factories.client()
    login_as("client", client_row=creditor)
    content = ";".join(f"Colonne {n}" for n in range(100_000)) + "\n" + ";".join(["x"] * 100_000) + "\n"
    data = {"csrf_token": csrf_token(client, "/placements/new"),
            "file": (io.BytesIO(content.encode()), "colonnes.csv")}
    response = client.post("/placements/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and len(page) < 100_000
    assert f"Le fichier a plus de {MAX_COLUMNS} colonnes" in page
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0


def test_the_api_dry_run_refuses_the_2_mb_xlsx_of_four_million_rows(app, db_session):
    from agency.tokens import issue_token
    from tests import factories
    from tests.cases.test_api import bearer

    creditor = factories.client()
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    body = {"filename": "factures.xlsx", "content_base64": base64.b64encode(million_rows_xlsx()).decode()}
    response = app.test_client().post("/api/v1/placements?dry_run=1", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert response.json["error"] == "refused" and f"plus de {ROWS_LIMIT} lignes" in response.json["message"]


def test_an_upload_of_the_xls_bomb_is_refused_with_a_clear_message_and_nothing_kept(client, db_session, login_as):
    from cases.placement.models import Placement
    from tests import factories
    from tests.conftest import csrf_token

    creditor = factories.client()
    login_as("client", client_row=creditor)
    bomb = xls([["Facture", "Montant"], ["F-1", 12.5]], far_cell=(65535, 255))
    data = {"csrf_token": csrf_token(client, "/placements/new"), "file": (io.BytesIO(bomb), "factures.xls")}
    response = client.post("/placements/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "demande, pour être lu, plus de mémoire" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0
