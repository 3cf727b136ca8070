"""One row of a placement file turned into a normalised `Record`, or into every reason it is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from agency.money import invoice_limit_cents, limit_text
from cases.placement import values
from cases.placement.reader import Table, gc_paused
from cases.placement.values import Invalid

# The widths of the columns the values end in (cases.models, debtors.models).
MAX_LENGTH = {
    "invoice_number": 64,
    "debtor_name": 200,
    "debtor_first_name": 100,
    "debtor_last_name": 100,
    "address_line1": 200,
    "address_line2": 200,
    "postcode": 16,
    "city": 100,
    "external_id": 64,
    "description": 255,
}
_NARROWEST = min(limit for key, limit in MAX_LENGTH.items() if key != "postcode")

REASONS: dict[str, LazyString] = {
    "missing": _l("This value is required."),
    "not_a_number": _l("Not an amount: write digits with at most two decimals, e.g. 1 234,56."),
    "negative_amount": _l("The amount is negative: send credit notes separately."),
    "zero_amount": _l("The amount is zero."),
    "invalid_date": _l("Not a date: write DD/MM/YYYY (four-digit year) or YYYY-MM-DD."),
    "impossible_date": _l("This date does not exist."),
    "due_before_issue": _l("The due date is before the issue date."),
    "invalid_siren": _l("Not a valid SIREN (9 digits) or SIRET (14 digits)."),
    "invalid_phone": _l("Not a valid phone number for the debtor's country."),
    "invalid_email": _l("Not a valid e-mail address."),
    "invalid_iban": _l("Not a valid IBAN."),
    "unknown_currency": _l("Unknown currency: write an ISO code such as EUR."),
    "unknown_country": _l("Unknown country: write its name or its ISO code, e.g. FR."),
    "too_long": _l("Too long: at most %(limit)s characters."),
    "amount_too_large": _l("Amount too high: at most %(limit)s per invoice."),
    "nul_character": _l("Contains a NUL character (\\u0000), which cannot be stored."),
}


def describe(code: str, limit: int | str | None = None) -> str:
    """Return the reason for a rejection code in the current language."""
    return str(REASONS[code]) % {"limit": limit}


# Not frozen: a frozen dataclass sets each of its 23 fields through object.__setattr__, six times the
# cost of a plain one, and a big file builds one per row twice (when checked, when stored rows are read).
@dataclass(slots=True)
class Record:
    """One invoice and its debtor as the placement file gives them, checked and normalised."""

    line: int
    invoice_number: str
    issue_date: date
    due_date: date
    amount_cents: int
    currency: str = "EUR"
    debtor_kind: Literal["person", "company"] = "person"
    company_name: str = ""
    first_name: str = ""
    last_name: str = ""
    siren: str | None = None
    email: str | None = None  # the first address of the cell; `emails` has them all
    phones: tuple[str, ...] = ()  # E.164, in file order, without repeats
    address_line1: str = ""
    address_line2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    external_id: str | None = None
    iban: str | None = None
    description: str = ""
    title: str = ""  # M., Mme, Mlle when the name cell carried one
    emails: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one field of one row is refused: `code` is stable, `reason` is its text for people."""

    line: int
    field: str
    column: str
    value: str
    reason: str
    code: str


class _Row:
    """The cells of one row read by field key, collecting every rejection on the way."""

    __slots__ = ("cells", "line", "mapping", "headers", "rejections")

    def __init__(self, cells: list[str], line: int, mapping: dict[str, int], headers: list[str]) -> None:
        width = len(cells)
        # One pass over the mapped cells: every field is then a dict lookup, every width checked here.
        self.cells = {key: cells[i].strip() for key, i in mapping.items() if i < width}
        self.line, self.mapping, self.headers = line, mapping, headers
        self.rejections: list[Rejection] = []
        # Most rows have no cell wider than the narrowest limit but the postcode's: one C-level test.
        if (
            len(self.cells.get("postcode", "")) > MAX_LENGTH["postcode"]
            or max(map(len, self.cells.values()), default=0) > _NARROWEST
        ):
            for key, text in self.cells.items():
                limit = MAX_LENGTH.get(key)
                if limit is not None and len(text) > limit:
                    self.reject(key, "too_long", text, limit)
        # PostgreSQL text cannot hold NUL (psycopg refuses to send it): one C-level search per row.
        if "\x00" in "".join(self.cells.values()):
            for key, text in self.cells.items():
                if "\x00" in text:
                    self.reject(key, "nul_character", text.replace("\x00", "\ufffd"))

    def get(self, key: str) -> str:
        return self.cells.get(key, "")

    def reject(self, key: str, code: str, value: str, limit: int | str | None = None) -> None:
        index = self.mapping.get(key)
        column = self.headers[index] if index is not None and index < len(self.headers) else ""
        self.rejections.append(Rejection(self.line, key, column, value, describe(code, limit), code))

    def parse(self, key: str, parser: Callable[[str], Any], required: bool = False) -> Any:
        """Return a cell read by `parser`, or None when empty or refused."""
        text = self.cells.get(key)
        if not text:
            if required:
                self.reject(key, "missing", "")
            return None
        try:
            return parser(text)
        except Invalid as exc:
            self.reject(key, exc.code, text)
            return None


def parse_row(
    cells: list[str], line: int, mapping: dict[str, int], headers: list[str]
) -> tuple[Record | None, list[Rejection]]:
    """Check one row and return its record, or None and every reason it is refused."""
    row = _Row(cells, line, mapping, headers)
    get = row.cells.get
    invoice_number = get("invoice_number", "")
    if not invoice_number:
        row.reject("invoice_number", "missing", "")
    issue_date, due_date = _dates(row)
    amount_cents = _amount(row)
    currency = row.parse("currency", values.parse_currency) or "EUR"
    country = row.parse("country", values.parse_country) or "FR"
    siren = row.parse("siren", values.parse_siren)
    kind, company_name, first_name, last_name, title = _debtor(row, has_siren=bool(get("siren")))
    phones = _phones(row, country)
    emails = _emails(row)
    iban = row.parse("iban", values.parse_iban)
    postcode = get("postcode", "")
    if country == "FR" and len(postcode) == 4 and postcode.isdigit():
        postcode = "0" + postcode  # a spreadsheet kept 01000 as the number 1000
    if row.rejections:
        return None, row.rejections
    record = Record(
        line=line,
        invoice_number=invoice_number,
        issue_date=issue_date,
        due_date=due_date,
        amount_cents=amount_cents,
        currency=currency,
        debtor_kind=kind,
        company_name=company_name,
        first_name=first_name,
        last_name=last_name,
        siren=siren,
        email=emails[0] if emails else None,
        phones=phones,
        address_line1=get("address_line1", ""),
        address_line2=get("address_line2", ""),
        postcode=postcode,
        city=get("city", ""),
        country=country,
        external_id=get("external_id") or None,
        iban=iban,
        description=get("description", ""),
        title=title,
        emails=emails,
    )
    return record, []


def parse_table(
    table: Table,
    mapping: dict[str, int],
    progress: Callable[[int, int], None] | None = None,
    every: int = 2000,
    *,
    release: bool = False,
) -> list[tuple[Record | None, list[Rejection]]]:
    """Parse every row of a table, in order, calling `progress(done, total)` every `every` rows.

    The cyclic garbage collector is held meanwhile: each surviving record would otherwise trigger
    collections that rescan the whole table and the records built so far (a third of the time on
    100,000 rows), while parsing makes no reference cycle for it to find. With `release`, each row's
    cells are dropped from the table once parsed, so that a big file is not held twice, as cells and
    as records (the table is unusable afterwards).
    """
    rows, total = table.rows, len(table.rows)
    results = []
    with gc_paused():
        for done, line in enumerate(table.lines):
            if progress is not None and done % every == 0:
                progress(done, total)
            cells = rows[done]
            if release:
                rows[done] = None
            results.append(parse_row(cells, line, mapping, table.headers))
    return results


def _dates(row: _Row) -> tuple[date, date]:
    """Read the due date (required) and the issue date (the due date when absent), in order."""
    due = row.parse("due_date", values.parse_date, required=True)
    issue = row.parse("issue_date", values.parse_date)
    if issue is None and not row.get("issue_date"):
        issue = due
    if due is not None and issue is not None and due < issue:
        row.reject("due_date", "due_before_issue", row.get("due_date"))
    return issue, due


def _amount(row: _Row) -> int:
    """Read the amount in cents; it must be positive, and within the bound that keeps sums from overflowing."""
    cents = row.parse("amount", values.parse_cents, required=True)
    if cents is not None and cents <= 0:
        row.reject("amount", "negative_amount" if cents < 0 else "zero_amount", row.get("amount"))
    elif cents is not None and cents > (limit := invoice_limit_cents()):
        row.reject("amount", "amount_too_large", row.get("amount"), limit_text(limit, None))
    return cents


def _debtor(row: _Row, has_siren: bool) -> tuple[str, str, str, str, str]:
    """Return (kind, company name, first name, last name, title) of the row's debtor."""
    get = row.cells.get
    name, first, last = get("debtor_name", ""), get("debtor_first_name", ""), get("debtor_last_name", "")
    kind = values.kind_from_text(get("debtor_kind", ""))
    if kind is None:
        kind = "company" if has_siren or (name and values.has_legal_form(name)) else "person"
    if kind == "company":
        if not name:
            row.reject("debtor_name", "missing", "")
        return kind, name, "", "", ""
    title = ""
    if not last and name and first:
        last = name  # "Nom client" beside "Prénom": the name column holds the family name
    elif not last and name:
        title, first, last = values.split_person_name(name)
    if not last:
        only_last = "debtor_name" not in row.mapping and "debtor_last_name" in row.mapping
        row.reject("debtor_last_name" if only_last else "debtor_name", "missing", "")
    elif name and len(name) <= MAX_LENGTH["debtor_name"]:
        # A part split out of the name cell must still fit the first/last name columns.
        for key, text in (("debtor_first_name", first), ("debtor_last_name", last)):
            if len(text) > MAX_LENGTH[key] and not get(key):
                row.reject("debtor_name", "too_long", name, MAX_LENGTH[key])
    return kind, "", first, last, title


def _phones(row: _Row, country: str) -> tuple[str, ...]:
    """Read every number of the phone columns in E.164, in order, without repeats."""
    found: dict[str, None] = {}
    for key in ("phone", "phone2"):
        for part in values.split_phones(row.cells.get(key, "")):
            try:
                found[values.parse_phone(part, country)] = None
            except Invalid as exc:
                row.reject(key, exc.code, part)
    return tuple(found)


def _emails(row: _Row) -> tuple[str, ...]:
    """Read every address of the e-mail column, normalised, without repeats."""
    found: dict[str, None] = {}
    for part in values.split_emails(row.cells.get("email", "")):
        try:
            found[values.parse_email(part)] = None
        except Invalid as exc:
            row.reject("email", exc.code, part)
    return tuple(found)
