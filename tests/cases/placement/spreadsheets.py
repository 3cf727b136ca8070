"""Spreadsheets written byte by byte, as a hostile client would: huge sheets that compress to little, cells
far apart, members that lie about their size. (openpyxl writes only well-behaved files, and slowly.)"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable

_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = b"http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = _XML + (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_PACKAGE_RELS = _XML + b'<Relationships xmlns="' + _RELS + b'"><Relationship Id="rId1" Type="' + _DOC + (
    b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = _XML + b'<workbook xmlns="' + _MAIN + b'" xmlns:r="' + _DOC + (
    b'"><sheets><sheet name="Factures" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = _XML + b'<Relationships xmlns="' + _RELS + b'"><Relationship Id="rId1" Type="' + _DOC + (
    b'/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="' + _DOC
    + b'/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def column(number: int) -> str:
    """Return the letters of a column counted from 1 (1 → A, 27 → AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx(rows: Iterable[bytes], shared: Iterable[bytes] = ()) -> bytes:
    """Return an XLSX whose sheet data is `rows` (XML, streamed into the archive) and shared strings `shared`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(_XML + b'<sst xmlns="' + _MAIN + b'">')
            for text in shared:
                part.write(b"<si><t>" + text + b"</t></si>")
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(_XML + b'<worksheet xmlns="' + _MAIN + b'"><sheetData>')
            for chunk in rows:
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
    return out.getvalue()


HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Facture</t></is></c><c r="B1" t="inlineStr"><is><t>'
    b'\xc3\x89ch\xc3\xa9ance</t></is></c><c r="C1" t="inlineStr"><is><t>Montant</t></is></c>'
    b'<c r="D1" t="inlineStr"><is><t>Client</t></is></c></row>'
)


def invoice_rows(first: int, last: int) -> bytes:
    """Rows `first` to `last` of a plain invoice sheet, each cell with its reference."""
    return b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>F-%d</t></is></c><c r="B%d"><v>46023</v></c>'
        b'<c r="C%d"><v>%d.5</v></c><c r="D%d" t="inlineStr"><is><t>DURAND Jeanne</t></is></c></row>'
        % (n, n, n, n, n, n, n)
        for n in range(first, last + 1)
    )


def million_rows_xlsx(rows: int = 4_200_000, referenced: int = 120_000) -> bytes:
    """A sheet of `rows` rows in about 2 MB: the first (beyond the row limit) with their references, as
    spreadsheet software writes them, the rest one repeated row."""

    def data() -> Iterable[bytes]:
        yield HEADER_ROW
        for start in range(2, referenced + 2, 10_000):
            end = min(start + 10_000, referenced + 2)
            yield b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(start, end))
        filler = b"<row><c><v>1</v></c></row>" * 10_000
        for _ in range((rows - referenced) // 10_000):
            yield filler

    return xlsx(data())


def ods(content: bytes) -> bytes:
    """Return an OpenDocument spreadsheet whose content.xml body (inside office:spreadsheet) is `content`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _XML + (
            b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            b'<manifest:file-entry manifest:full-path="/" '
            b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            b"</manifest:manifest>"))
        archive.writestr("content.xml", _XML + (
            b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            b"<office:body><office:spreadsheet>" + content + b"</office:spreadsheet></office:body>"
            b"</office:document-content>"))
    return out.getvalue()


def with_member_size(data: bytes, name: str, declared: int) -> bytes:
    """Return the archive with `name` declaring `declared` bytes uncompressed, whatever it inflates to."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    out = bytearray(data)
    # The central directory entry (what readers trust) holds the size at offset 24 of the entry.
    entry = out.find(b"PK\x01\x02", archive.start_dir)
    while entry >= 0:
        length = int.from_bytes(out[entry + 28 : entry + 30], "little")
        if out[entry + 46 : entry + 46 + length] == name.encode():
            out[entry + 24 : entry + 28] = declared.to_bytes(4, "little")
            break
        entry = out.find(b"PK\x01\x02", entry + 46)
    assert info.file_size != declared and entry >= 0
    return bytes(out)


def xls(rows: list[list[object]], far_cell: tuple[int, int] | None = None) -> bytes:
    """An XLS (BIFF8) of `rows` from A1, and one more cell at `far_cell` (row, column from 0) when given."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Factures")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if far_cell:
        sheet.write(*far_cell, "x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _record(kind: int, body: bytes = b"") -> bytes:
    """An XLSB record: its type and size in 7-bit groups, then its body (MS-XLSB 2.1.4)."""
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, encoded = len(body), b""
    while True:
        size, low = size >> 7, size & 0x7F
        encoded += bytes([low | (0x80 if size else 0)])
        if not size:
            return head + encoded + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb(cells: Iterable[tuple[int, int, str]]) -> bytes:
    """An XLSB whose one sheet holds text `cells` (row, column from 0, text), in the order given by row."""
    cells = sorted(cells)
    last_row, last_column = max(r for r, _, _ in cells), max(c for _, c, _ in cells)
    workbook = (_record(0x83) + _record(0x8F)  # begin book, begin sheets
                + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("Factures"))
                + _record(0x90) + _record(0x84))  # end sheets, end book
    sheet = bytearray(_record(0x81) + _record(0x94, struct.pack("<IIII", 0, last_row, 0, last_column))
                      + _record(0x91))  # begin sheet, its dimension, begin sheet data
    row = None
    for r, c, text in cells:
        if r != row:
            sheet += _record(0x00, struct.pack("<I", r) + bytes(13))  # row header
            row = r
        sheet += _record(0x06, struct.pack("<II", c, 0) + _wide(text))  # a text cell
    sheet += _record(0x92) + _record(0x82)  # end sheet data, end sheet
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _XML + b'<Types xmlns="http://schemas.openxmlformats.org/'
                         b'package/2006/content-types"/>')
        archive.writestr("xl/workbook.bin", workbook)
        archive.writestr("xl/_rels/workbook.bin.rels", _XML + b'<Relationships xmlns="' + _RELS
                         + b'"><Relationship Id="rId1" Type="' + _DOC
                         + b'/worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
        archive.writestr("xl/worksheets/sheet1.bin", bytes(sheet))
    return out.getvalue()
