"""Reading placement files as clients' software writes them: CSV dialects, encodings, XLSX."""

from __future__ import annotations

import csv
import gc
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency.config import DEFAULT_MAX_INVOICE_CENTS
from cases.placement.fields import guess_mapping
from cases.placement.reader import ReadError, detect_delimiter, float_text, read_table
from cases.placement.rows import parse_row

pytestmark = pytest.mark.no_db

HEADER = "N° facture;Date facture;Échéance;Montant TTC;Raison sociale;Téléphone;Ville"


def _write(tmp_path, name: str, data: bytes) -> tuple[bytes, str]:
    """Write the file as a client would upload it and read the bytes back."""
    path = tmp_path / name
    path.write_bytes(data)
    return path.read_bytes(), path.name


def _records(table):
    mapping = guess_mapping(table.headers)
    results = [
        parse_row(cells, line, mapping, table.headers)
        for cells, line in zip(table.rows, table.lines, strict=True)
    ]
    assert [rejections for _record, rejections in results] == [[]] * len(results)
    return [record for record, _rejections in results]


def test_semicolon_utf8_with_decimal_commas_and_french_dates(tmp_path):
    text = (
        f"{HEADER}\n"
        "F-001;01/12/2025;31/12/2025;1 234,56;Société Générale SA;01 23 45 67 89;Paris\n"
        "F-002;2025-11-02;2025-12-31;1.234,56 €;Boulangerie Noël SARL;+33 6 12 34 56 78;Lyon\n"
        "F-003;02/11/2025;31.12.2025;1234.56;Crème & Cie;0033612345678;Nîmes\n"
    )
    table = read_table(*_write(tmp_path, "placement.csv", text.encode("utf-8")))
    assert table.headers == HEADER.split(";")
    assert table.lines == [2, 3, 4]
    assert table.rows[0] == [
        "F-001",
        "01/12/2025",
        "31/12/2025",
        "1 234,56",
        "Société Générale SA",
        "01 23 45 67 89",
        "Paris",
    ]
    records = _records(table)
    assert [r.amount_cents for r in records] == [123456, 123456, 123456]
    assert [r.due_date for r in records] == [date(2025, 12, 31)] * 3
    assert records[1].issue_date == date(2025, 11, 2)
    assert [r.phones for r in records] == [("+33123456789",), ("+33612345678",), ("+33612345678",)]
    assert records[2].company_name == "Crème & Cie"


def test_utf8_with_bom_does_not_leak_into_the_first_header(tmp_path):
    data = "\ufeff" + HEADER + "\nF-1;;31/12/2025;10;Éts Durand;;Évry\n"
    table = read_table(*_write(tmp_path, "bom.csv", data.encode("utf-8")))
    assert table.headers[0] == "N° facture"
    assert table.rows[0][4] == "Éts Durand"


def test_windows_1252_accents_and_euro_sign(tmp_path):
    text = f"{HEADER}\r\nF-1;01/12/2025;31/12/2025;1 234,56 €;Société Générale;06 12 34 56 78;Besançon\r\n"
    data = text.encode("cp1252")
    assert b"\x80" in data and b"\xe9" in data  # "€" and "é" as Windows writes them
    table = read_table(*_write(tmp_path, "export.csv", data))
    assert table.rows == [
        ["F-1", "01/12/2025", "31/12/2025", "1 234,56 €", "Société Générale", "06 12 34 56 78", "Besançon"]
    ]
    assert _records(table)[0].amount_cents == 123456


def test_comma_separated_with_quoted_decimal_commas(tmp_path):
    text = (
        "Invoice,Due date,Amount,Customer,Phone\n"
        'INV-1,2025-12-31,"1 234,56","Dupont, Martin & Fils SARL",+33 6 12 34 56 78\n'
        "INV-2,31/12/2025,1234.56,Jane Smith,06 12 34 56 78\n"
    )
    table = read_table(*_write(tmp_path, "invoices.csv", text.encode()))
    assert table.rows[0][3] == "Dupont, Martin & Fils SARL"
    records = _records(table)
    assert [r.amount_cents for r in records] == [123456, 123456]
    assert records[1].first_name == "Jane" and records[1].last_name == "Smith"


@pytest.mark.parametrize("delimiter", ["\t", "|", ";", ","])
def test_delimiter_is_detected_from_the_header_line(tmp_path, delimiter):
    rows = [["Facture", "Échéance", "Montant", "Client"], ["F-1", "31/12/2025", "99.90", "Jean Dupont"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    table = read_table(*_write(tmp_path, "f.txt", out.getvalue().encode()))
    assert table.headers == rows[0] and table.rows == [rows[1]]


def test_delimiter_counts_ignore_quoted_text():
    assert detect_delimiter('"Montant; TTC";"Nom, prénom",Ville,CP') == ","
    assert detect_delimiter("Facture;Montant,TTC;Client") == ";"  # a tie of one each: ";" wins
    assert detect_delimiter("Facture") == ";"


def test_quoted_cells_with_separators_and_newlines_keep_line_numbers(tmp_path):
    text = (
        "Facture;Échéance;Montant;Client;Adresse\n"
        'F-1;31/12/2025;10,00;"Dupont; Fils SARL";"12 rue Haute\nBâtiment B\nEscalier 3"\n'
        'F-2;31/12/2025;20,00;"Le ""Bon"" Coin SAS";1 place Basse\n'
    )
    table = read_table(*_write(tmp_path, "multi.csv", text.encode()))
    assert table.rows[0][3] == "Dupont; Fils SARL"
    assert table.rows[0][4] == "12 rue Haute\nBâtiment B\nEscalier 3"
    assert table.rows[1][3] == 'Le "Bon" Coin SAS'
    assert table.lines == [2, 5]  # the second record starts after the three lines of the first


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(tmp_path):
    text = "\n\nFacture;Montant\r\n\r\nF-1;10\r\n;\r\n  ;  \r\nF-2;20\r\n\r\n"
    table = read_table(*_write(tmp_path, "blank.csv", text.encode()))
    assert table.header_line == 3
    assert table.rows == [["F-1", "10"], ["F-2", "20"]]
    assert table.lines == [5, 8]


def test_rows_are_padded_or_cut_to_the_header_width_and_cells_stripped(tmp_path):
    text = "A;B;C\n 1 ;2\n1;2;3;4;5\n"
    table = read_table(*_write(tmp_path, "ragged.csv", text.encode()))
    assert table.rows == [["1", "2", ""], ["1", "2", "3"]]


def test_utf16_export_from_excel_is_read(tmp_path):
    text = "Facture\tMontant\tClient\r\nF-1\t1 234,56\tSociété Générale\r\n"
    table = read_table(*_write(tmp_path, "unicode.txt", text.encode("utf-16")))
    assert table.rows == [["F-1", "1 234,56", "Société Générale"]]


def test_dates_in_both_written_forms_are_read(tmp_path):
    text = "Facture;Date facture;Échéance;Montant;Client\nF-1;31/12/2025;2026-01-31;5;Jean Dupont\n"
    record = _records(read_table(*_write(tmp_path, "dates.csv", text.encode())))[0]
    assert (record.issue_date, record.due_date) == (date(2025, 12, 31), date(2026, 1, 31))


def _xlsx(tmp_path, rows: list[list[object]], name: str = "placement.xlsx") -> tuple[bytes, str]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=index, column=column, value=value)
    path = tmp_path / name
    workbook.save(path)
    return path.read_bytes(), path.name


def test_xlsx_dates_numbers_and_blank_rows(tmp_path):
    rows = [
        ["N° facture", "Date facture", "Échéance", "Montant TTC (€)", "Raison sociale", "Téléphone", "CP", "SIRET"],
        [1001, date(2025, 12, 1), datetime(2025, 12, 31, 0, 0), 1234.56, "Société Générale SA", 612345678, 1000, 55210055400013],
        [],
        ["F-2", date(2025, 11, 2), date(2025, 12, 31), 0.1 + 0.2, "Jean DUPONT", "+33 6 12 34 56 78", "75011", None],
        ["F-3", None, date(2026, 1, 31), 1234.0, "Crème & Cie", None, "69003", "552 100 554"],
    ]  # fmt: skip
    table = read_table(*_xlsx(tmp_path, rows))
    assert table.headers == rows[0]
    assert table.lines == [2, 4, 5]
    assert table.rows[0] == [
        "1001",
        "2025-12-01",
        "2025-12-31",
        "1234.56",
        "Société Générale SA",
        "612345678",
        "1000",
        "55210055400013",
    ]
    assert table.rows[1][3] == "0.3"  # not 0.30000000000000004
    assert table.rows[2][:4] == ["F-3", "", "2026-01-31", "1234"]
    records = _records(table)
    assert [r.amount_cents for r in records] == [123456, 30, 123400]
    assert records[0].invoice_number == "1001"
    assert records[0].phones == ("+33612345678",)  # the leading 0 Excel dropped does not matter
    assert records[0].postcode == "01000"  # nor the one it dropped from the postcode
    assert records[0].siren == "552100554"
    assert records[2].issue_date == records[2].due_date == date(2026, 1, 31)


def test_xlsx_is_recognised_by_content_whatever_its_name(tmp_path):
    data, _name = _xlsx(tmp_path, [["Facture", "Montant"], ["F-1", 12.5]])
    assert read_table(data, "placement.csv").rows == [["F-1", "12.5"]]


def test_xlsx_with_leading_blank_rows_counts_sheet_rows(tmp_path):
    table = read_table(*_xlsx(tmp_path, [[], [], ["Facture", "Montant"], ["F-1", 3]]))
    assert table.header_line == 3 and table.lines == [4]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"Facture;Montant\nF-1;1", "placement.pdf", "Unsupported file type"),
        (b"Facture;Montant\nF-1;1", "placement", "Unsupported file type"),
        (b"", "placement.csv", "empty"),
        (b"\r\n  \r\n", "placement.csv", "empty"),
        (b"PK\x03\x04 not really a zip", "placement.xlsx", "cannot be read"),
        (b"plain text", "placement.xlsx", "cannot be read"),
        (b'Facture;Client\nF-1;"Dupont\nF-2;Martin\n', "placement.csv", "line 2"),
        (b"Facture\n\x81\x8d\x8f\x90\x9d", "placement.csv", "UTF-8 or Windows-1252"),
    ],
)
def test_unreadable_files_raise_a_read_error_saying_why(data, name, message):
    with pytest.raises(ReadError) as caught:
        read_table(data, name)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_reading_leaves_the_garbage_collector_as_it_found_it():
    read_table(b"A;B\n1;2\n", "f.csv")
    assert gc.isenabled()
    gc.disable()
    try:
        read_table(b"A;B\n1;2\n", "f.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()


def _french(cents: int, thousands: str, euro: bool) -> str:
    units = f"{cents // 100:,}".replace(",", thousands)
    return f"{units},{cents % 100:02d}" + (" €" if euro else "")


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=DEFAULT_MAX_INVOICE_CENTS),  # beyond it, refused (test_amount_bounds)
    thousands=st.sampled_from(["", " ", ".", "\u00a0", "\u202f"]),
    euro=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_amounts_round_trip_through_csv_exactly(cents, thousands, euro, encoding):
    if encoding == "cp1252" and thousands == "\u202f":
        thousands = "\u00a0"  # Windows-1252 has no narrow no-break space
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Facture", "Échéance", "Montant", "Client"])
    writer.writerow(["F-1", "31/12/2025", _french(cents, thousands, euro), "ACME SAS"])
    table = read_table(out.getvalue().encode(encoding), "placement.csv")
    record, rejections = parse_row(table.rows[0], table.lines[0], guess_mapping(table.headers), table.headers)
    assert rejections == [] and record.amount_cents == cents


@given(cents=st.integers(min_value=-(10**13), max_value=10**13))
def test_spreadsheet_floats_come_back_as_the_decimal_written(cents):
    written = Decimal(cents) / 100
    assert Decimal(float_text(float(written))) == written


def test_spreadsheet_float_noise_is_rounded_away_as_excel_shows_it():
    assert float_text(0.1 + 0.2) == "0.3"
    assert float_text(1234.56) == "1234.56"
    assert float_text(1234.0) == "1234"
    assert float_text(1.1 * 3) == "3.3"
    assert float_text(1e16) == "10000000000000000"
    assert float_text(float("nan")) == ""
