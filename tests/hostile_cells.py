"""Text that a spreadsheet would run as a formula, and how to check that an export hands none of it over."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from agency.spreadsheet import FORMULA_STARTS

# A link that leaks the sheet, a command (DDE), arithmetic, a function, and the tab and carriage return that some
# spreadsheets trim before reading the formula behind them.
HOSTILE = ['=HYPERLINK("http://evil.example","Garage")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)",
           "\t=1+1", "\r=1+1"]

# A number as a French spreadsheet reads it: the only cells allowed to start with a minus sign.
FRENCH_NUMBER = re.compile(r"-?\d+(,\d+)?")


def neutralised(value: str) -> str:
    """Return the text a hostile value is written as: a leading quote keeps it text."""
    return "'" + value


def as_read_back(text: str) -> str:
    """Return a text as a workbook gives it back: XML reads a carriage return as a line feed."""
    return text.replace("\r", "\n")


def csv_rows(text: str) -> list[list[str]]:
    """Read an export's CSV (BOM, semicolons) and check that no cell but a number could start a formula."""
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or FRENCH_NUMBER.fullmatch(cell), (cell, row)
    return rows


def xlsx_rows(data: bytes) -> list[list[openpyxl.cell.Cell]]:
    """Read an export's workbook and check that no cell is a formula and every text is a string cell."""
    rows = [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()]
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and not cell.value.startswith(FORMULA_STARTS), cell.value
    return rows


def column(rows: list[list], title: str) -> list:
    """Return the values under `title` in the rows after the header (cells or texts)."""
    header = [getattr(c, "value", c) for c in rows[0]]
    index = header.index(title)
    return [getattr(row[index], "value", row[index]) for row in rows[1:]]
