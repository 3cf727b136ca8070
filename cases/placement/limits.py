"""How large a placement file may be, checked while it is read: a file made to exhaust memory stops early.

A placement of 100,000 invoices of 14 columns is what the platform is measured against (bench.placement:
its check and import each within 400 MB); the limits admit nothing much larger, whatever the file, so that
every placement stays within that budget (bench.placement_limits measures the largest files they admit).
A client with more invoices sends several files.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

MAX_ROWS = 100_000  # invoice rows, the header aside
MAX_COLUMNS = 200
MAX_CELLS = 1_500_000  # rows × columns: what the table of cells holds in memory (100,000 rows of 15)
# A spreadsheet's members once inflated: a 2 MB XLSX can hold gigabytes of highly compressible XML.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 10_000  # a workbook has a few dozen; each costs memory before anything is read
MAX_RECORD_CHARS = 2_000_000  # one CSV record: a line of a million separators is a million cells
# Rows of a sheet above its header (titles, blank lines) beyond the invoice rows.
SHEET_MARGIN = 1_000
MAX_HEADER_CHARS = 200  # a column's title is cut there: the mapping page lists every title in every choice


class ReadError(ValueError):
    """The file cannot be read as a table; `message` says why, for the user."""

    def __init__(self, message: LazyString | str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def too_many_rows() -> ReadError:
    return ReadError(_l("The file has more than %(limit)s invoice rows: split it into several placements.",
                        limit=_grouped(MAX_ROWS)))


def too_many_columns() -> ReadError:
    return ReadError(_l("The file has more than %(limit)s columns: keep only the invoices' columns.",
                        limit=_grouped(MAX_COLUMNS)))


def too_many_cells() -> ReadError:
    return ReadError(_l("The file has more than %(limit)s cells (rows × columns): keep only the invoices' "
                        "columns, or split it into several placements.", limit=_grouped(MAX_CELLS)))


def too_large_uncompressed() -> ReadError:
    return ReadError(_l("The spreadsheet holds more than %(limit)s MB once uncompressed: split it, or send "
                        "it as CSV.", limit=MAX_UNCOMPRESSED_BYTES // 1024 // 1024))


def too_long_record(line: int) -> ReadError:
    return ReadError(_l("Line %(line)s of the file is longer than %(limit)s characters.", line=line,
                        limit=_grouped(MAX_RECORD_CHARS)))


def unreadable_spreadsheet() -> ReadError:
    return ReadError(_l("The spreadsheet cannot be read: is it a valid XLSX, XLS or ODS file?"))


def header(cells: list[str]) -> list[str]:
    """Return the header row, its titles cut short; refuse it wider than the limit, before any row is read."""
    if len(cells) > MAX_COLUMNS:
        raise too_many_columns()
    return [cell[:MAX_HEADER_CHARS] for cell in cells]


def check_rows(rows: int, width: int) -> None:
    """Refuse a table of `rows` invoice rows of `width` cells beyond the limits (called as rows are added)."""
    if rows > MAX_ROWS:
        raise too_many_rows()
    if rows * width > MAX_CELLS:
        raise too_many_cells()


def check_extent(last_row: int, last_column: int, cells: int = 0) -> None:
    """Refuse a sheet whose cells reach beyond the limits: `last_row` and `last_column` count from 1.

    Spreadsheet readers build a sheet as one grid from A1 to its farthest cell: its size is what costs.
    """
    if last_column > MAX_COLUMNS:
        raise too_many_columns()
    if last_row > MAX_ROWS + SHEET_MARGIN:
        raise too_many_rows()
    if last_row * last_column > MAX_CELLS + SHEET_MARGIN * MAX_COLUMNS or cells > MAX_CELLS:
        raise too_many_cells()
