"""Reading a placement file (CSV, XLSX, XLS, ODS) into a table of stripped text cells.

The limits of cases.placement.limits are checked as the file is read, so that a file made to exhaust
memory (millions of rows, a hundred thousand columns, a zip bomb) stops at the first one it crosses.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
from codecs import BOM_UTF8, BOM_UTF16_BE, BOM_UTF16_LE
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from python_calamine import CalamineError, CalamineWorkbook

from cases.placement.apart import read_apart
from cases.placement.archive import check_archive
from cases.placement.limits import (
    MAX_RECORD_CHARS,
    ReadError,
    check_extent,
    check_rows,
    header,
    too_long_record,
    unreadable_spreadsheet,
)

CSV_EXTENSIONS = frozenset({"csv", "txt", "tsv"})
SHEET_EXTENSIONS = frozenset({"xlsx", "xlsm", "xlsb", "xls", "ods"})
DELIMITERS = (";", "\t", ",", "|")  # on a tie, the earlier wins: French exports use ";"
# Spreadsheets are recognised by their content too: a client renaming book.xlsx to book.csv is common.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(slots=True)
class Table:
    """The header and the non-empty rows of a file, each row as long as the header.

    `lines[i]` is the line of the file (or the row of the sheet) where `rows[i]` starts, counted from 1;
    blank rows are skipped, and a quoted CSV cell can span several lines, so it is not `i + 2`.
    """

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    header_line: int = 1


def read_table(data: bytes, filename: str) -> Table:
    """Read a placement file's first sheet (or its CSV text) into a `Table`."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)) or extension in SHEET_EXTENSIONS:
        with gc_paused():
            return _read_sheet(data)
    if extension in CSV_EXTENSIONS:
        lines = text_lines(data)
        with gc_paused():
            return _read_csv(lines)
    raise ReadError(_l("Unsupported file type: send a CSV, XLSX, XLS or ODS file."))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while building many objects that survive and form no cycle.

    Each of 100,000 row lists would otherwise trigger collections that rescan the table built so
    far: a quarter of the reading time. Nested uses leave it as they found it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def text_lines(data: bytes) -> Callable[[], Iterator[str]]:
    """Return a function yielding the lines of CSV bytes as text, each from the start, one at a time.

    UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252. Lines are decoded one by one: the
    whole text at once would cost up to four bytes a character, beside the file's own bytes.
    """
    if data.startswith((BOM_UTF16_LE, BOM_UTF16_BE)):  # rare: decoded whole
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(_l("The file is not valid text.")) from exc
        return lambda: _lines(text)
    start = len(BOM_UTF8) if data.startswith(BOM_UTF8) else 0
    # Windows-1252 rather than Latin-1: French exports from Windows put "€" at 0x80 and "œ" at 0x9C.
    for encoding in ("utf-8", "cp1252"):
        if _decodes(data, start, encoding):
            return lambda: _decoded_lines(data, start, encoding)
    raise ReadError(_l("The file is not text in UTF-8 or Windows-1252."))


def _decodes(data: bytes, start: int, encoding: str) -> bool:
    """Tell whether the bytes from `start` are text in `encoding`, decoding a megabyte at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for offset in range(start, len(data), 1 << 20):
            decoder.decode(view[offset : offset + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decoded_lines(data: bytes, start: int, encoding: str) -> Iterator[str]:
    """Yield the lines of `data` from `start`, each decoded on its own ("\n" is one byte in both encodings)."""
    size, line = len(data), 0
    while start < size:
        end = data.find(b"\n", start)
        end = size if end < 0 else end + 1
        line += 1
        if end - start > 4 * MAX_RECORD_CHARS:  # four bytes at most a character: surely too long
            raise too_long_record(line)
        yield data[start:end].decode(encoding)
        start = end


def detect_delimiter(header_line: str) -> str:
    """Return the separator used most often outside quotes in the header line (";" when none is)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equal counts
    return best if counts[best] else ";"


def _lines(text: str) -> Iterator[str]:
    """Yield the lines of `text` with their endings, one slice at a time.

    io.StringIO would copy the whole text again, at four bytes a character once it holds an accent.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


class _RecordFeed:
    """The lines csv.reader asks for, refusing a record longer than MAX_RECORD_CHARS before it is split.

    A line of a million separators would be a million cells; a quoted cell may span lines, so the
    count runs over the lines of one record (the reader resets it after each).
    """

    __slots__ = ("lines", "chars", "line")

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines, self.chars, self.line = lines, 0, 0

    def __iter__(self) -> _RecordFeed:
        return self

    def __next__(self) -> str:
        text = next(self.lines)
        self.line += 1
        self.chars += len(text)
        if self.chars > MAX_RECORD_CHARS:
            raise too_long_record(self.line)
        return text


def _read_csv(lines: Callable[[], Iterator[str]]) -> Table:
    """Parse CSV lines, keeping each record's first line number and skipping blank records."""
    first_line = next((line for line in lines() if line.strip()), None)
    if first_line is None:
        raise ReadError(_l("The file is empty."))
    feed = _RecordFeed(lines())
    # strict: an unclosed quote must fail, not swallow the rest of the file into one cell.
    reader = csv.reader(feed, delimiter=detect_delimiter(first_line), strict=True)
    table: Table | None = None
    start = 1
    try:
        for record in reader:
            feed.chars = 0
            line, start = start, reader.line_num + 1
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if table is None:
                table = Table(headers=header(cells), header_line=line)
            else:
                _append(table, cells, line)
    except csv.Error as exc:
        raise ReadError(_l("The CSV file is malformed near line %(line)s.", line=start)) from exc
    if table is None:  # lines of separators or empty quotes only (";;;", '""'): no cell has text
        raise ReadError(_l("The file is empty."))
    return table


def _append(table: Table, cells: list[str], line: int) -> None:
    """Add a row padded or cut to the header's width, within the limits."""
    width = len(table.headers)
    check_rows(len(table.rows) + 1, width)
    if len(cells) != width:
        del cells[width:]
        cells.extend([""] * (width - len(cells)))
    table.rows.append(cells)
    table.lines.append(line)


def _read_sheet(data: bytes) -> Table:
    """Read the first sheet of a workbook; sheet row numbers are the line numbers."""
    if data.startswith(_ZIP_MAGIC):
        # XLSX, ODS: sizes and the sheet's extent, before calamine inflates it. An XLSB's binary sheet is
        # not scanned: like an XLS, it is read apart.
        if check_archive(data) == "binary":
            return read_apart(data)
    elif data.startswith(_OLE_MAGIC):
        return read_apart(data)
    return read_workbook(data)


def read_workbook(data: bytes) -> Table:
    """Read a workbook's first sheet with calamine, in this process (what `read_apart` runs in its child)."""
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        if sheet.end is not None:  # nothing is built from too large a sheet, even one read apart
            check_extent(sheet.end[0] + 1, sheet.end[1] + 1)
        # Rows one at a time (the whole sheet as Python lists would double its memory). Row 0 is sheet row 1
        # even when the first rows are blank; columns start at the sheet's first used one, padded back to A.
        left = [""] * (sheet.start[1] if sheet.start else 0)
        table: Table | None = None
        for index, raw in enumerate(sheet.iter_rows()):
            cells = left + [cell_text(value) for value in raw] if left else [cell_text(value) for value in raw]
            if not any(cells):
                continue
            if table is None:
                table = Table(headers=header(cells), header_line=index + 1)
            else:
                _append(table, cells, index + 1)
    except (CalamineError, ValueError, OSError) as exc:
        if isinstance(exc, ReadError):
            raise
        raise unreadable_spreadsheet() from exc
    if table is None:
        raise ReadError(_l("The file is empty."))
    return table


def cell_text(value: object) -> str:
    """Return a spreadsheet cell as the text a person sees in it (dates ISO, numbers without float noise)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        # Invoice dates only: a time of day in a date cell is an artefact of the exporting software.
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    return str(value).strip()


def float_text(value: float) -> str:
    """Write a float as Excel shows it: 15 significant digits, no exponent ("0.3", "1234.56", "1234")."""
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    return format(Decimal(format(value, ".15g")), "f")
