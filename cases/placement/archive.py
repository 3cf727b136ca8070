"""Spreadsheets that are zip archives (XLSX, ODS, XLSB), checked before calamine opens them.

A 2 MB archive can inflate to gigabytes, and a member may declare one size and inflate to another; and
calamine builds a sheet as one dense grid from A1 to its farthest cell, so two cells far apart in a 2 KB
file make a grid of billions. Hence, before calamine: the members' declared sizes are summed, every member
is inflated here a piece at a time (nothing kept) to hold it to its declared size and checksum, and the
sheet calamine will read is scanned for where its cells lie, stopping at the first limit crossed.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from functools import lru_cache

from cases.placement.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_CELLS,
    MAX_UNCOMPRESSED_BYTES,
    ReadError,
    check_extent,
    too_large_uncompressed,
    too_many_cells,
    unreadable_spreadsheet,
)

_CHUNK = 1 << 20  # bytes inflated at a time
_METADATA_MAX = 16 * 1024 * 1024  # workbook.xml and its relationships: a few kilobytes in practice
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = 0x04034B50
_PREFIX = rb"(?:[\w.-]+:)?"  # any namespace prefix: .NET writers use <x:c>

# A cell that may hold a value (not self-closing) with its reference, whatever the order of its attributes.
_XLSX_CELL = re.compile(rb"<" + _PREFIX + rb'c\s(?:[^>]*?\s)?r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
_REFERENCE_AT = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_XLSX_TAG = re.compile(rb"<" + _PREFIX + rb"(row|c)\b([^>]*?)(/?)>")
_ROW_NUMBER = re.compile(rb'\br="([0-9]{1,7})"')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_ODS_TAG = re.compile(
    rb"<(/?)" + _PREFIX + rb"(table-row|table-cell|covered-table-cell|table)(?![\w-])([^>]*?)(/?)>"
)
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="([0-9]{1,9})"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="([0-9]{1,9})"')


def check_archive(data: bytes) -> str:
    """Refuse a zip spreadsheet that would inflate or spread beyond the limits; else tell its kind.

    "binary" for an XLSB, whose sheets are binary records this module does not scan (the reader reads it
    apart, under a memory ceiling), "scanned" otherwise.
    """
    if data.count(b"PK\x01\x02") > MAX_ARCHIVE_MEMBERS:  # central directory entries, counted unparsed
        raise unreadable_spreadsheet()
    try:
        listed = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise unreadable_spreadsheet() from exc
    # Names as readers look them up (some writers use "\" or capitals); one member per name, else which
    # one a reader takes is anyone's guess.
    members = {_normal(m.filename): m for m in listed}
    if len(members) != len(listed):
        raise unreadable_spreadsheet()
    if sum(m.file_size for m in listed) > MAX_UNCOMPRESSED_BYTES:
        raise too_large_uncompressed()
    scanned: set[str] = set()
    if "xl/workbook.xml" in members:
        for name in _first_xlsx_sheet(data, members):
            try:
                _scan(data, members[name], _XlsxCells())
            except _WalkFromStart:
                _scan(data, members[name], _XlsxCells(walking=True))
            scanned.add(name)
        for name in members:
            if name.endswith("sharedstrings.xml"):
                _scan(data, members[name], _SharedStrings())
                scanned.add(name)
    elif "content.xml" in members:  # OpenDocument: calamine reads every sheet of it at once
        _scan(data, members["content.xml"], _OdsCells())
        scanned.add("content.xml")
    for name, member in members.items():
        if name not in scanned:
            for _piece in _inflate(data, member):  # inflated only to hold it to its declared size and checksum
                pass
    return "binary" if "xl/workbook.bin" in members else "scanned"


def _normal(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def _scan(data: bytes, member: zipfile.ZipInfo, scanner: _XlsxCells | _SharedStrings | _OdsCells) -> None:
    tail = b""
    for piece in _inflate(data, member):
        tail += piece
        cut = tail.rfind(b">") + 1  # a tag never spans the cut: text holds no "<"
        scanner.feed(tail[:cut])
        tail = tail[cut:]
        if len(tail) > _CHUNK:  # megabytes without a tag: no sheet is written so
            raise unreadable_spreadsheet()
    scanner.feed(tail)


def _inflate(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield a member's bytes a piece at a time, refusing more than it declares, a wrong size or checksum."""
    if member.flag_bits & 0x1 or member.header_offset + _LOCAL_HEADER.size > len(data):
        raise unreadable_spreadsheet()  # encrypted, or a header beyond the file
    header = _LOCAL_HEADER.unpack_from(data, member.header_offset)
    start = member.header_offset + _LOCAL_HEADER.size + header[9] + header[10]
    raw = memoryview(data)[start : start + member.compress_size]
    if header[0] != _LOCAL_SIGNATURE or len(raw) != member.compress_size:
        raise unreadable_spreadsheet()
    if member.compress_type == zipfile.ZIP_STORED:
        pieces: Iterator[bytes] = (bytes(raw[i : i + _CHUNK]) for i in range(0, len(raw), _CHUNK))
        inflater = None
    elif member.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        pieces = _deflated(raw, inflater)
    else:
        raise unreadable_spreadsheet()
    size, crc = 0, 0
    for piece in pieces:
        size += len(piece)
        if size > member.file_size:  # it lied about its size: stop before inflating further
            raise too_large_uncompressed()
        crc = zlib.crc32(piece, crc)
        yield piece
    if size != member.file_size or crc != member.CRC or (inflater is not None and not inflater.eof):
        raise unreadable_spreadsheet()


def _deflated(raw: memoryview, inflater) -> Iterator[bytes]:
    """Inflate `raw`, never more than _CHUNK bytes of output at a time."""
    offset, pending = 0, b""
    while not inflater.eof:
        if not pending and offset < len(raw):
            pending, offset = raw[offset : offset + _CHUNK], offset + _CHUNK
        piece = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        if not piece and not pending and offset >= len(raw):
            return  # the data ended before the stream did: the caller refuses it
        yield piece


def _first_xlsx_sheet(data: bytes, members: dict[str, zipfile.ZipInfo]) -> list[str]:
    """Return the (normalised) name of the workbook's first sheet, the one read, or of every part if unsure."""
    workbook = _small(data, members["xl/workbook.xml"])
    rels = _small(data, members.get("xl/_rels/workbook.xml.rels"))
    sheet = re.search(rb"<" + _PREFIX + rb"sheet\s([^>]*)>", workbook)
    rid = re.search(rb'\s(?:[\w.-]+:)?id="([^"]*)"', b" " + sheet[1]) if sheet else None
    for relation in re.finditer(rb"<" + _PREFIX + rb"Relationship\s([^>]*)>", rels):
        found_id = re.search(rb'\bId="([^"]*)"', relation[1])
        target = re.search(rb'\bTarget="([^"]*)"', relation[1])
        if rid and found_id and target and found_id[1] == rid[1]:
            path = _normal(target[1].decode("utf-8", "replace"))
            name = path if target[1].startswith(b"/") else _normal(posixpath.normpath(posixpath.join("xl", path)))
            if name in members:
                return [name]
    # Unsure which member calamine will read: every part of the workbook that could be a sheet.
    return [name for name in members if name.startswith("xl/") and name.endswith(".xml")
            and not name.endswith(("sharedstrings.xml", "workbook.xml"))]


def _small(data: bytes, member: zipfile.ZipInfo | None) -> bytes:
    if member is None:
        return b""
    if member.file_size > _METADATA_MAX:
        raise unreadable_spreadsheet()
    return b"".join(_inflate(data, member))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _WalkFromStart(Exception):
    """A sheet whose cells cannot all be read the quick way: it is scanned again, tag by tag."""


class _XlsxCells:
    """Where a worksheet's cells lie, from its XML; raises as soon as they spread beyond the limits.

    Every writer we know writes a cell as `<c r="B12"…>`, rows in order. A megabyte is then settled by
    counts and searches of the C regular expression engine, without one Python object per cell: its
    last cell with a value gives the highest row and column so far, and two searches prove no cell
    lies beyond them (else that megabyte is read cell by cell). A cell without its reference first, or
    with a namespace prefix, makes the whole sheet be walked tag by tag (slower; rare).
    """

    def __init__(self, walking: bool = False) -> None:
        self.last_row = self.last_column = self.cells = 0
        self.walking = walking
        self.row = self.column = 0  # the walk's position

    def feed(self, text: bytes) -> None:
        if self.walking:
            self._walk(text)
            return
        referenced = text.count(b'<c r="')
        # Counted and searched, not matched: a million cells would otherwise cost a million objects.
        if text.count(b"<c ") != referenced or b"<c>" in text or b":c " in text or b":c>" in text:
            raise _WalkFromStart  # a cell without its reference first, or a prefixed one
        last = _last_valued_cell(text)
        if last is not None:
            self.last_row = max(self.last_row, int(last[2]))
            self.last_column = max(self.last_column, _column_number(last[1]))
        if _beyond_column(self.last_column).search(text) or _beyond_row(self.last_row).search(text):
            found = _XLSX_CELL.findall(text)  # out of order, or the first columns: cell by cell
            columns, rows = zip(*found, strict=True)
            self.last_row = max(self.last_row, max(map(int, rows)))
            self.last_column = max(self.last_column, max(map(_column_number, set(columns))))
        self.cells += referenced
        check_extent(self.last_row, self.last_column, self.cells)

    def _walk(self, text: bytes) -> None:
        for name, attributes, closed in _XLSX_TAG.findall(text):
            if name == b"row":
                number = _ROW_NUMBER.search(attributes)
                self.row, self.column = (int(number[1]) if number else self.row + 1), 0
                continue
            reference = _CELL_REF.search(attributes)
            if reference:
                self.column, row = _column_number(reference[1]), int(reference[2])
            else:
                self.column, row = self.column + 1, self.row
            if not closed:
                self.last_row, self.last_column = max(self.last_row, row), max(self.last_column, self.column)
                self.cells += 1
        check_extent(self.last_row, self.last_column, self.cells)


def _last_valued_cell(text: bytes) -> re.Match[bytes] | None:
    """Return the last `<c r="…">` of `text` that is not self-closing (an empty styled cell holds no value)."""
    end = len(text)
    while (start := text.rfind(b'<c r="', 0, end)) >= 0:
        close = text.find(b">", start)
        if close > 0 and text[close - 1] != ord("/"):
            return _REFERENCE_AT.match(text, start)
        end = start
    return None


@lru_cache(maxsize=64)
def _beyond_column(column: int) -> re.Pattern[bytes]:
    """Match a cell holding a value after the `column`-th column."""
    return re.compile(rb'<c r="' + _letters_above(column) + rb'[0-9]+"[^>]*(?<!/)>')


@lru_cache(maxsize=64)
def _beyond_row(row: int) -> re.Pattern[bytes]:
    """Match a cell holding a value below the `row`-th row."""
    return re.compile(rb'<c r="[A-Z]+' + _digits_above(row) + rb'"[^>]*(?<!/)>')


def _digits_above(number: int) -> bytes:
    """A regular expression of the decimal numbers above `number` (leading zeros allowed)."""
    text = str(number).encode()
    options = [rb"[1-9][0-9]{%d,}" % len(text)]
    for i, digit in enumerate(text):
        if digit != ord("9"):
            rest = len(text) - i - 1
            options.append(text[:i] + b"[%c-9]" % (digit + 1) + (rb"[0-9]{%d}" % rest if rest else b""))
    return rb"0*(?:" + b"|".join(options) + rb")"


def _letters_above(column: int) -> bytes:
    """A regular expression of the column letters after the `column`-th (A is 1; 0: every column)."""
    if column == 0:
        return rb"[A-Z]+"
    text = _column_letters(column)
    options = [rb"[A-Z]{%d,}" % (len(text) + 1)]
    for i, letter in enumerate(text):
        if letter != ord("Z"):
            rest = len(text) - i - 1
            options.append(text[:i] + b"[%c-Z]" % (letter + 1) + (rb"[A-Z]{%d}" % rest if rest else b""))
    return rb"(?:" + b"|".join(options) + rb")"


def _column_letters(number: int) -> bytes:
    letters = b""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = bytes([65 + rest]) + letters
    return letters


class _SharedStrings:
    """Counts a workbook's shared strings, which calamine holds in memory all at once."""

    def __init__(self) -> None:
        self.count = 0

    def feed(self, text: bytes) -> None:
        # Counted, not matched: a million strings would otherwise cost a million objects.
        self.count += sum(text.count(tag) for tag in (b"<si>", b"<si ", b":si>", b":si "))
        if self.count > MAX_CELLS:
            raise too_many_cells()


class _OdsCells:
    """Where the cells of an OpenDocument spreadsheet lie, every sheet, repeated rows and columns expanded."""

    def __init__(self) -> None:
        self.cells = 0  # over every sheet: calamine reads them all
        self.row = self.last_row = self.last_column = 0
        self.row_repeat = self.column = self.row_last_column = self.row_cells = 0

    def feed(self, text: bytes) -> None:
        for end, name, attributes, closed in _ODS_TAG.findall(text):
            if name == b"table":
                if not end and not closed:
                    self.row = self.last_row = self.last_column = 0  # a new sheet, a grid of its own
            elif name == b"table-row":
                if not end:
                    self._start_row(attributes)
                if end or closed:
                    self._end_row()
            elif not end:
                repeat = _repeat(_COLUMNS_REPEATED, attributes)
                if not closed or b"value-type=" in attributes:
                    self.row_cells += repeat
                    self.row_last_column = self.column + repeat
                self.column += repeat

    def _start_row(self, attributes: bytes) -> None:
        self.row_repeat = _repeat(_ROWS_REPEATED, attributes)
        self.column = self.row_last_column = self.row_cells = 0

    def _end_row(self) -> None:
        if self.row_cells:
            self.last_row = self.row + self.row_repeat
            self.last_column = max(self.last_column, self.row_last_column)
            self.cells += self.row_cells * self.row_repeat
            check_extent(self.last_row, self.last_column, self.cells)
        self.row += self.row_repeat
        self.row_cells = 0


def _repeat(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    found = pattern.search(attributes)
    return max(1, int(found[1])) if found else 1


__all__ = ["ReadError", "check_archive"]
