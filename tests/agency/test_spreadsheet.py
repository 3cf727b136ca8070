"""The one writer of CSV and XLSX files: text never runs as a formula, amounts and counts stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from agency.spreadsheet import Amount, csv_text, text_cell, xlsx_bytes
from tests.hostile_cells import HOSTILE, as_read_back

pytestmark = pytest.mark.no_db


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # the BOM that makes spreadsheets read the accents right
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def read_xlsx(data: bytes) -> list[list[openpyxl.cell.Cell]]:
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_cell_prefixes_a_quote_to_what_would_be_a_formula(value):
    assert text_cell(value) == "'" + value


def test_text_cell_leaves_ordinary_text_as_written():
    for value in ("Garage Martin", "SARL l'Épi d'or", "1 rue de la Paix", "F-2026-001", "", "a=b", "'déjà"):
        assert text_cell(value) == value


def test_text_cell_drops_control_characters_a_workbook_cannot_hold_before_looking_at_the_start():
    assert text_cell("Gar\x00age\x0b") == "Garage"
    assert text_cell("\x01=1+1") == "'=1+1"  # once the control character is gone, it would be a formula


def test_csv_neutralises_every_text_cell_and_keeps_numbers_dates_and_amounts():
    rows = [["Nom", "Montant", "Nombre", "Date", "Taux"]]
    rows += [[value, Amount(-12_345), -3, date(2026, 3, 1), Decimal("-2.5")] for value in HOSTILE]
    text = csv_text(rows)
    assert text.endswith("\r\n") and "\r\n" in text.removesuffix("\r\n")  # lines end as spreadsheets expect

    lines = read_csv(text)
    assert lines[0] == ["Nom", "Montant", "Nombre", "Date", "Taux"]
    assert [line[0] for line in lines[1:]] == ["'" + value for value in HOSTILE]
    # A negative amount, count or rate is a number, written as a French spreadsheet reads one.
    assert {tuple(line[1:]) for line in lines[1:]} == {("-123,45", "-3", "01/03/2026", "-2,5")}


def test_csv_writes_nothing_for_an_empty_cell_and_an_empty_row():
    assert read_csv(csv_text([["a", None, ""], [], ["b"]])) == [["a", "", ""], [], ["b"]]


def test_xlsx_writes_every_text_as_a_string_cell_never_a_formula():
    rows = [["Nom", "Montant", "Nombre", "Date"]]
    rows += [[value, Amount(-12_345), -3, date(2026, 3, 1)] for value in HOSTILE]
    header, *lines = read_xlsx(xlsx_bytes("Dossiers", rows, widths=(28, 14)))

    assert [c.value for c in header] == ["Nom", "Montant", "Nombre", "Date"]
    assert all(c.font.b for c in header)
    for line, value in zip(lines, HOSTILE, strict=True):
        name, amount, count, day = line
        assert (name.data_type, name.value) == ("s", as_read_back("'" + value))
        # A negative amount stays a number of euros, with the cents exactly.
        assert (amount.data_type, amount.value, amount.number_format) == ("n", -123.45, "#,##0.00")
        assert (count.data_type, count.value) == ("n", -3)
        assert (day.data_type, day.value.date(), day.number_format) == ("d", date(2026, 3, 1), "DD/MM/YYYY")


def test_xlsx_keeps_the_sheet_title_within_what_excel_opens_and_the_widths():
    data = xlsx_bytes("Balance âgée par client et par tranche d'ancienneté", [["a", "b"]], widths=(28, 16))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Balance âgée par client et par "
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (28, 16)


def test_xlsx_holds_a_name_with_control_characters_instead_of_failing():
    (line,) = read_xlsx(xlsx_bytes("Dossiers", [["Gar\x00age\x1f"]]))
    assert line[0].value == "Garage"


def test_a_datetime_is_refused_rather_than_written_in_the_wrong_time_zone():
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Paris
    with pytest.raises(TypeError):
        csv_text([[moment]])
    with pytest.raises(TypeError):
        xlsx_bytes("Dossiers", [[moment]])
