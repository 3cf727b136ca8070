"""The aged balance, its case lists and the collectors' figures as CSV and XLSX: the same cells as the pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from agency.money import cents_to_decimal
from cases.labels import STATUS
from reports.aged import BUCKETS, AgedBalance, AgedCase
from reports.collectors import Performance
from reports.exports import french_number


class Money(int):
    """Cents meant to be written as an amount: a decimal comma in CSV, a number of euros in XLSX."""


def _csv(rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([french_number(c) if isinstance(c, Money) else
                         c.strftime("%d/%m/%Y") if hasattr(c, "strftime") else c for c in row])
    return "\ufeff" + out.getvalue()  # a BOM so that spreadsheets open the accents right


def _xlsx(title: str, rows: Iterable[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for index, row in enumerate(rows):
        # Decimal, not float: the cell holds exactly the cents shown on the page.
        sheet.append([cents_to_decimal(c) if isinstance(c, Money) else c for c in row])
        for cell, value in zip(sheet[index + 1], row, strict=True):
            if index == 0:
                cell.font = Font(bold=True)
            elif isinstance(value, Money):
                cell.number_format = "#,##0.00"
            elif hasattr(value, "strftime"):
                cell.number_format = "DD/MM/YYYY"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def balance_rows(balance: AgedBalance) -> list[list]:
    """Return the aged balance as rows: a header, one line per client, the totals; amounts then case counts."""
    header = [_("Client")] + [str(b.label) for b in BUCKETS] + [_("Total")]
    header += [_("Cases %(bucket)s", bucket=str(b.label)) for b in BUCKETS] + [_("Cases")]
    rows = [header]
    for row in balance.rows:
        rows.append([row.client_name] + [Money(row.cells[b.key].cents) for b in BUCKETS] + [Money(row.total.cents)]
                    + [row.cells[b.key].cases for b in BUCKETS] + [row.total.cases])
    rows.append([_("Total")] + [Money(balance.totals[b.key].cents) for b in BUCKETS] + [Money(balance.total.cents)]
                + [balance.totals[b.key].cases for b in BUCKETS] + [balance.total.cases])
    return rows


def case_rows(cases: list[AgedCase]) -> list[list]:
    """Return the cases behind a cell as rows, with the columns of the page."""
    header = [_("Case"), _("Client"), _("Debtor"), _("Status"), _("Oldest due date"), _("Days past due"),
              _("Claims"), _("Outstanding")]
    return [header] + [[c.reference, c.client_name, c.debtor_name, str(STATUS.get(c.status, c.status)), c.oldest_due,
                        c.days_past_due, c.claims, Money(c.cents)] for c in cases]


def performance_rows(performance: Performance) -> list[list]:
    """Return the collectors' figures as rows: each period's lines, then each collector's totals."""
    header = [_("Period"), _("Collector"), _("Cases worked"), _("Calls"), _("Right-party contacts"),
              _("Promises obtained"), _("Promises kept"), _("Collected")]
    rows = [header]
    for line in [*performance.lines, *performance.totals]:
        f = line.figures
        rows.append([line.start if line.start else _("Whole period"), line.name, f.cases_worked, f.calls,
                     f.right_party, f.promises, f.promises_kept, Money(f.collected_cents)])
    return rows


def as_csv(rows: list[list]) -> str:
    """Return rows as CSV (semicolons, decimal commas, French dates)."""
    return _csv(rows)


def as_xlsx(title: str, rows: list[list]) -> bytes:
    """Return rows as an XLSX workbook with amounts as numbers of euros."""
    return _xlsx(title, rows)
