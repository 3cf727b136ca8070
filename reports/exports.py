"""The drill-down list as CSV and XLSX: the same rows and columns as the page."""

from __future__ import annotations

from flask_babel import gettext as _

from agency.spreadsheet import Amount, csv_text, xlsx_bytes
from cases.labels import STATUS
from reports.drilldown import CaseRow

WIDTHS = (16, 24, 28, 12, 18, 20, 14, 14, 14)


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
    return [*cells, Amount(row.placed), Amount(row.collected), Amount(row.outstanding)]


def rows_csv(rows: list[CaseRow], with_collector: bool) -> str:
    """Return the list as CSV (semicolons, decimal commas, dates as on the page)."""
    return csv_text([columns(with_collector), *(_cells(row, with_collector) for row in rows)])


def rows_xlsx(rows: list[CaseRow], with_collector: bool) -> bytes:
    """Return the list as an XLSX workbook: amounts as numbers in euros, dates as dates."""
    return xlsx_bytes(_("Cases"), [columns(with_collector), *(_cells(row, with_collector) for row in rows)], WIDTHS)
