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
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

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
    return "".join(csv_lines(rows))


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Yield the CSV of `csv_text` line by line (the BOM first), for a file streamed as its rows are read."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


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


# A streamed workbook is written part by part into a zip whose sizes follow each part (data descriptors), so
# its first bytes leave before its last row is read: the rows of a long export are never all held, in memory
# or on disk, and the reader sees the download start at once. openpyxl, even write-only, writes the whole
# sheet before the zip. These are the parts a spreadsheet needs, and nothing else.
XLSX_MAX_ROWS = 1_048_576  # Excel opens no more rows than this, header included
XLSX_MAX_TEXT = 32_767  # characters in one cell, beyond which Excel calls the file damaged
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="styles.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
        "</Relationships>"
    ),
    # Styles by index: 0 plain, 1 bold (the header), 2 an amount (built-in format 4, #,##0.00), 3 a date.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_EXCEL_EPOCH = date(1899, 12, 30)
_CHUNK = 64 * 1024


class _Sink:
    """What the zip is written to: the bytes wait here until the generator hands them out."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the parts are taken whole by `take` (the zip writer calls this as on a file)."""

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


def _xlsx_xml_cell(ref: str, value: object, bold: bool) -> str:
    style = ' s="1"' if bold else ""
    if value is None:
        return ""
    if isinstance(value, Amount):
        return f'<c r="{ref}" s="2"><v>{cents_to_decimal(value)}</v></c>'
    if _number(value):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, datetime):
        raise TypeError("write a datetime as the reader's local date or text: its time zone is not the reader's")
    if isinstance(value, date):
        return f'<c r="{ref}" s="3"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    text = xml_escape(text_cell(str(value))[:XLSX_MAX_TEXT])
    return f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_chunks(title: str, rows: Iterable[Sequence[object]], widths: Sequence[float] = ()) -> Iterator[bytes]:
    """Yield an XLSX workbook of one sheet as it is written, for a download streamed while its rows are read:
    the cells of `xlsx_bytes` (the first row in bold), at most XLSX_MAX_ROWS rows (the caller says so)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in _XLSX_PARTS.items():
            book.writestr(name, text)
        book.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{xml_escape(title[:31], {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"))
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            columns = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                              for i, w in enumerate(widths, start=1))
            sheet.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         + (f"<cols>{columns}</cols>" if columns else "") + "<sheetData>").encode())
            for number, row in enumerate(rows, start=1):
                if number > XLSX_MAX_ROWS:
                    break
                cells = "".join(_xlsx_xml_cell(f"{get_column_letter(i)}{number}", value, bold=number == 1)
                                for i, value in enumerate(row, start=1))
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
                if sink.size >= _CHUNK:
                    yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()
