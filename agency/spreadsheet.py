"""Cells of the CSV files people open in a spreadsheet: text never read as a formula, French numbers."""

from __future__ import annotations

from agency.money import cents_to_decimal

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): a debtor name from a
# placement such as "=HYPERLINK(…)" would run on the client's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """Return a text for a CSV cell that a spreadsheet shows as written, never as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def french_number(cents: int) -> str:
    """Write cents as a spreadsheet reads them in France: "-1234,50" (decimal comma, no grouping)."""
    return str(cents_to_decimal(cents)).replace(".", ",")
