"""The aged balance, its case lists and the collectors' figures as CSV and XLSX: the same cells as the pages."""

from __future__ import annotations

from flask_babel import gettext as _

from agency.spreadsheet import Amount, csv_text, xlsx_bytes
from cases.labels import STATUS
from reports.aged import BUCKETS, AgedBalance, AgedCase
from reports.collectors import Performance


def balance_rows(balance: AgedBalance) -> list[list]:
    """Return the aged balance as rows: a header, one line per client, the totals; amounts then case counts."""
    header = [_("Client")] + [str(b.label) for b in BUCKETS] + [_("Total")]
    header += [_("Cases %(bucket)s", bucket=str(b.label)) for b in BUCKETS] + [_("Cases")]
    rows = [header]
    for row in balance.rows:
        rows.append([row.client_name] + [Amount(row.cells[b.key].cents) for b in BUCKETS] + [Amount(row.total.cents)]
                    + [row.cells[b.key].cases for b in BUCKETS] + [row.total.cases])
    rows.append([_("Total")] + [Amount(balance.totals[b.key].cents) for b in BUCKETS] + [Amount(balance.total.cents)]
                + [balance.totals[b.key].cases for b in BUCKETS] + [balance.total.cases])
    return rows


def case_rows(cases: list[AgedCase]) -> list[list]:
    """Return the cases behind a cell as rows, with the columns of the page."""
    header = [_("Case"), _("Client"), _("Debtor"), _("Status"), _("Oldest due date"), _("Days past due"),
              _("Claims"), _("Outstanding")]
    return [header] + [[c.reference, c.client_name, c.debtor_name, str(STATUS.get(c.status, c.status)), c.oldest_due,
                        c.days_past_due, c.claims, Amount(c.cents)] for c in cases]


def performance_rows(performance: Performance) -> list[list]:
    """Return the collectors' figures as rows: each period's lines, then each collector's totals."""
    header = [_("Period"), _("Collector"), _("Cases worked"), _("Calls"), _("Right-party contacts"),
              _("Promises obtained"), _("Promises kept"), _("Collected")]
    rows = [header]
    for line in [*performance.lines, *performance.totals]:
        f = line.figures
        rows.append([line.start if line.start else _("Whole period"), line.name, f.cases_worked, f.calls,
                     f.right_party, f.promises, f.promises_kept, Amount(f.collected_cents)])
    return rows


def as_csv(rows: list[list]) -> str:
    """Return rows as CSV (semicolons, decimal commas, French dates)."""
    return csv_text(rows)


def as_xlsx(title: str, rows: list[list]) -> bytes:
    """Return rows as an XLSX workbook with amounts as numbers of euros."""
    width = max((len(row) for row in rows), default=0)
    return xlsx_bytes(title, rows, widths=[28] + [16] * (width - 1))
