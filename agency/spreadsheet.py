"""The one writer of the CSV and XLSX files people open in a spreadsheet.

Every export goes through `csv_text` or `xlsx_bytes`, which take typed cells: an `Amount` (cents), an int or a
Decimal is a number, a date is a date, anything else is text. Text is neutralised here, never by the callers: a
debtor name from a placement such as `=HYPERLINK(…)` would otherwise run on the machine of whoever opens the file
(CSV/formula injection), and one forgotten call in one export is enough for that.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from agency.money import cents_to_decimal

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): a debtor name from a
# placement such as "=HYPERLINK(…)" would run on the client's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Control characters XML 1.0 cannot hold (openpyxl refuses them, which would turn an export into an error page);
# they carry nothing a reader needs, so the CSV drops them too and both files show the same text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"


class Amount(int):
    """Cents meant to be written as an amount: "-1234,50" in CSV, a number of euros in XLSX."""


def text_cell(value: str) -> str:
    """Return a text for a cell that a spreadsheet shows as written, never as a formula."""
    value = _CONTROL.sub("", value)
    # The quote is what a person types in a spreadsheet to keep a cell as text; it is shown, so it is visible
    # that the value was not a formula but could have been taken for one.
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def french_number(cents: int) -> str:
    """Write cents as a spreadsheet reads them in France: "-1234,50" (decimal comma, no grouping)."""
    return str(cents_to_decimal(cents)).replace(".", ",")


def _number(value: object) -> bool:
    # bool is an int, but "True" in a column of counts is a mistake, not a number.
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Amount):
        return french_number(value)
    if _number(value):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        raise TypeError("write a datetime as the reader's local date or text: its time zone is not the reader's")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return text_cell(str(value))


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Return rows (a header is a row of texts) as CSV for a French spreadsheet: semicolons, decimal commas,
    dates as 31/12/2026, a BOM so that the accents open right; text cells can never be read as formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return "\ufeff" + out.getvalue()


def _xlsx_cell(sheet, value: object, bold: bool) -> WriteOnlyCell:
    if isinstance(value, Amount):
        # Decimal, not float: the cell holds exactly the cents shown on the page.
        cell = WriteOnlyCell(sheet, cents_to_decimal(value))
        cell.number_format = AMOUNT_FORMAT
    elif value is None or _number(value):
        cell = WriteOnlyCell(sheet, value)
    elif isinstance(value, datetime):
        raise TypeError("write a datetime as the reader's local date or text: its time zone is not the reader's")
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
    else:
        cell = WriteOnlyCell(sheet, text_cell(str(value)))
        # A string cell, whatever its text: openpyxl would otherwise store a text starting with "=" as a formula.
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(title: str, rows: Iterable[Sequence[object]], widths: Sequence[float] = ()) -> bytes:
    """Return rows as a one-sheet XLSX workbook, the first row (the header) in bold: amounts as numbers of euros,
    dates as dates, every text as a string cell, never a formula. `widths` are the first columns' widths."""
    book = Workbook(write_only=True)  # rows are streamed out: a long case list does not hold every cell object
    sheet = book.create_sheet(title[:31])  # the longest sheet name Excel opens
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for index, row in enumerate(rows):
        sheet.append([_xlsx_cell(sheet, value, bold=index == 0) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
