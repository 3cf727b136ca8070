"""The drill-down list as CSV and XLSX: the same rows and columns as the page."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from agency.money import cents_to_decimal
from cases.labels import STATUS
from reports.drilldown import CaseRow


def columns(with_collector: bool) -> list[str]:
    """Return the column titles of the list, in the order of the page."""
    titles = [_("Case"), _("Client"), _("Debtor"), _("Opened on"), _("Status")]
    if with_collector:
        titles.append(_("Collector"))
    return [*titles, _("Placed"), _("Collected"), _("Outstanding")]


def _cells(row: CaseRow, with_collector: bool) -> list:
    cells = [row.reference, row.client, row.debtor, row.opened_on, str(STATUS.get(row.status, row.status))]
    if with_collector:
        cells.append(row.collector)
    return [*cells, row.placed, row.collected, row.outstanding]


def french_number(cents: int) -> str:
    """Write cents as a French spreadsheet reads them: "-1234,50"."""
    return str(cents_to_decimal(cents)).replace(".", ",")


def rows_csv(rows: list[CaseRow], with_collector: bool) -> str:
    """Return the list as CSV (semicolons, decimal commas, dates as on the page)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns(with_collector))
    for row in rows:
        cells = _cells(row, with_collector)
        cells[3] = row.opened_on.strftime("%d/%m/%Y")
        writer.writerow([french_number(c) if i >= len(cells) - 3 else c for i, c in enumerate(cells)])
    return "\ufeff" + out.getvalue()  # a BOM so that spreadsheets open the accents right


def rows_xlsx(rows: list[CaseRow], with_collector: bool) -> bytes:
    """Return the list as an XLSX workbook: amounts as numbers in euros, dates as dates."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Cases")
    sheet.append(columns(with_collector))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        cells = _cells(row, with_collector)
        # Decimal, not float: the cell holds exactly the cents shown on the page.
        sheet.append([cents_to_decimal(c) if i >= len(cells) - 3 else c for i, c in enumerate(cells)])
    width = len(columns(with_collector))
    for line in sheet.iter_rows(min_row=2):
        line[3].number_format = "DD/MM/YYYY"
        for cell in line[width - 3:]:
            cell.number_format = "#,##0.00"
    for letter, size in zip("ABCDEFGHI", (16, 24, 28, 12, 18, 20, 14, 14, 14), strict=False):
        sheet.column_dimensions[letter].width = size
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
