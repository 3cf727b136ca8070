"""One placement row becomes a normalised record, or every precise reason it is refused."""

from __future__ import annotations

import gc
from datetime import date

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from agency.money import AmountError, parse_amount
from cases.placement import values
from cases.placement.fields import guess_mapping
from cases.placement.reader import Table
from cases.placement.rows import REASONS, Record, Rejection, describe, parse_row, parse_table

pytestmark = pytest.mark.no_db

HEADERS = [
    "N° facture", "Date facture", "Échéance", "Montant", "Devise", "Raison sociale", "Prénom", "Type",
    "SIRET", "Email", "Téléphone", "Tél 2", "Adresse", "Complément", "CP", "Ville", "Pays", "Code client",
    "IBAN", "Libellé",
]  # fmt: skip
MAPPING = guess_mapping(HEADERS)
BASE = {
    "N° facture": "F-2025-001",
    "Date facture": "01/12/2025",
    "Échéance": "31/12/2025",
    "Montant": "1 234,56",
    "Raison sociale": "Boulangerie Martin SARL",
    "SIRET": "552 100 554 00013",
    "Email": "Compta@Boulangerie-Martin.fr",
    "Téléphone": "06 12 34 56 78",
    "Adresse": "12 rue de la Paix",
    "CP": "75002",
    "Ville": "Paris",
    "Code client": "C-0042",
    "IBAN": "FR76 3000 6000 0112 3456 7890 189",
    "Libellé": "Pains et viennoiseries",
}


def parse(line: int = 7, **changes: str) -> tuple[Record | None, list[Rejection]]:
    """Parse the base row with some cells changed (keyword: the header folded, spaces as underscores)."""
    cells = dict(BASE)
    for name, value in changes.items():
        header = next(h for h in HEADERS if values.fold(h).replace(" ", "_") == name)
        cells[header] = value
    return parse_row([cells.get(h, "") for h in HEADERS], line, MAPPING, HEADERS)


def rejected(line: int = 7, **changes: str) -> list[tuple[int, str, str, str, str]]:
    record, rejections = parse(line, **changes)
    assert record is None
    return [(r.line, r.field, r.column, r.value, r.code) for r in rejections]


def test_mapping_of_the_test_headers():
    assert len(MAPPING) == len(HEADERS)


def test_a_good_row_becomes_a_normalised_record():
    record, rejections = parse()
    assert rejections == []
    assert record == Record(
        line=7,
        invoice_number="F-2025-001",
        issue_date=date(2025, 12, 1),
        due_date=date(2025, 12, 31),
        amount_cents=123456,
        currency="EUR",
        debtor_kind="company",
        company_name="Boulangerie Martin SARL",
        siren="552100554",
        email="compta@boulangerie-martin.fr",
        emails=("compta@boulangerie-martin.fr",),
        phones=("+33612345678",),
        address_line1="12 rue de la Paix",
        postcode="75002",
        city="Paris",
        country="FR",
        external_id="C-0042",
        iban="FR7630006000011234567890189",
        description="Pains et viennoiseries",
    )


@pytest.mark.parametrize(
    ("changes", "field", "column", "value", "code"),
    [
        ({"n_facture": ""}, "invoice_number", "N° facture", "", "missing"),
        ({"echeance": ""}, "due_date", "Échéance", "", "missing"),
        ({"montant": ""}, "amount", "Montant", "", "missing"),
        ({"montant": "douze euros"}, "amount", "Montant", "douze euros", "not_a_number"),
        ({"montant": "12,345"}, "amount", "Montant", "12,345", "not_a_number"),
        ({"montant": "-50,00"}, "amount", "Montant", "-50,00", "negative_amount"),
        ({"montant": "(50,00)"}, "amount", "Montant", "(50,00)", "negative_amount"),
        ({"montant": "0,00 €"}, "amount", "Montant", "0,00 €", "zero_amount"),
        ({"echeance": "31/12/25"}, "due_date", "Échéance", "31/12/25", "invalid_date"),
        ({"echeance": "décembre 2025"}, "due_date", "Échéance", "décembre 2025", "invalid_date"),
        ({"echeance": "45657"}, "due_date", "Échéance", "45657", "invalid_date"),
        ({"echeance": "31/02/2025"}, "due_date", "Échéance", "31/02/2025", "impossible_date"),
        ({"date_facture": "2025-13-01"}, "issue_date", "Date facture", "2025-13-01", "impossible_date"),
        ({"echeance": "30/11/2025"}, "due_date", "Échéance", "30/11/2025", "due_before_issue"),
        ({"siret": "552 100 554 00014"}, "siren", "SIRET", "552 100 554 00014", "invalid_siren"),
        ({"siret": "123456789"}, "siren", "SIRET", "123456789", "invalid_siren"),
        ({"siret": "5521"}, "siren", "SIRET", "5521", "invalid_siren"),
        ({"telephone": "06 12"}, "phone", "Téléphone", "06 12", "invalid_phone"),
        ({"tel_2": "01 23 45 67 89 / 12345"}, "phone2", "Tél 2", "12345", "invalid_phone"),
        ({"email": "compta@"}, "email", "Email", "compta@", "invalid_email"),
        ({"email": "compta@acme.test"}, "email", "Email", "compta@acme.test", "invalid_email"),
        (
            {"iban": "FR76 3000 6000 0112 3456 7890 188"},
            "iban",
            "IBAN",
            "FR76 3000 6000 0112 3456 7890 188",
            "invalid_iban",
        ),
        ({"devise": "EURO$"}, "currency", "Devise", "EURO$", "unknown_currency"),
        ({"devise": "FRF"}, "currency", "Devise", "FRF", "unknown_currency"),
        ({"pays": "Atlantide"}, "country", "Pays", "Atlantide", "unknown_country"),
        ({"n_facture": "F" * 65}, "invoice_number", "N° facture", "F" * 65, "too_long"),
        ({"cp": "7" * 17}, "postcode", "CP", "7" * 17, "too_long"),
        ({"libelle": "x" * 256}, "description", "Libellé", "x" * 256, "too_long"),
        ({"ville": "V" * 101}, "city", "Ville", "V" * 101, "too_long"),
        ({"code_client": "C" * 65}, "external_id", "Code client", "C" * 65, "too_long"),
        (
            {"raison_sociale": "S" * 196 + " SARL"},
            "debtor_name",
            "Raison sociale",
            "S" * 196 + " SARL",
            "too_long",
        ),
        ({"type": "Professionnel", "raison_sociale": ""}, "debtor_name", "Raison sociale", "", "missing"),
        ({"siret": "", "raison_sociale": ""}, "debtor_name", "Raison sociale", "", "missing"),
    ],
)
def test_each_rejection_names_line_field_column_value_and_reason(changes, field, column, value, code):
    assert rejected(line=42, **changes) == [(42, field, column, value, code)]


def test_every_reason_has_a_message_and_too_long_says_the_limit():
    assert all(describe(code) for code in REASONS)
    assert "64" in describe("too_long", 64)
    _record, rejections = parse(n_facture="F" * 65)
    assert rejections[0].reason == describe("too_long", 64)


def test_a_row_with_several_problems_reports_all_of_them():
    problems = rejected(
        line=12,
        n_facture="",
        date_facture="31/02/2025",
        montant="-3",
        siret="123",
        telephone="06 12 34 56 78 / 99",
        email="nobody",
        pays="Narnia",
    )
    assert sorted(problems) == sorted(
        [
            (12, "invoice_number", "N° facture", "", "missing"),
            (12, "issue_date", "Date facture", "31/02/2025", "impossible_date"),
            (12, "amount", "Montant", "-3", "negative_amount"),
            (12, "siren", "SIRET", "123", "invalid_siren"),
            (12, "phone", "Téléphone", "99", "invalid_phone"),
            (12, "email", "Email", "nobody", "invalid_email"),
            (12, "country", "Pays", "Narnia", "unknown_country"),
        ]
    )


def test_required_fields_of_an_unmapped_column_are_reported_missing_without_column():
    headers = ["Facture", "Montant"]
    record, rejections = parse_row(["F-1", "10"], 2, guess_mapping(headers), headers)
    assert record is None
    assert [(r.field, r.column, r.code) for r in rejections] == [
        ("due_date", "", "missing"),
        ("debtor_name", "", "missing"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2025", date(2025, 12, 31)),
        ("1/2/2025", date(2025, 2, 1)),
        ("31-12-2025", date(2025, 12, 31)),
        ("31.12.2025", date(2025, 12, 31)),
        ("2025-12-31", date(2025, 12, 31)),
        ("2025/12/31", date(2025, 12, 31)),
        ("2025-12-31 00:00:00", date(2025, 12, 31)),
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_accepted_date_forms(text, expected):
    record, rejections = parse(date_facture="", echeance=text)
    assert rejections == [] and record.due_date == record.issue_date == expected


def test_missing_issue_date_is_the_due_date():
    record, _ = parse(date_facture="")
    assert record.issue_date == record.due_date == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1 234,56", 123456), ("1.234,56", 123456), ("1234.56", 123456), ("1 234,56 €", 123456),
     ("1234", 123400), ("0,5", 50), ("€12", 1200), ("1,234.56", 123456), ("12 345 678,90", 1234567890)],
)  # fmt: skip
def test_amount_forms(text, cents):
    record, rejections = parse(montant=text)
    assert rejections == [] and record.amount_cents == cents


@pytest.mark.parametrize(
    ("name", "title", "first", "last"),
    [
        ("DUPONT Jean", "", "Jean", "DUPONT"),
        ("Jean DUPONT", "", "Jean", "DUPONT"),
        ("Jean Dupont", "", "Jean", "Dupont"),
        ("M. Jean DUPONT", "M.", "Jean", "DUPONT"),
        ("Mme Marie-Claire DE LA FONTAINE", "Mme", "Marie-Claire", "DE LA FONTAINE"),
        ("Madame Anne d'Arc", "Mme", "Anne", "d'Arc"),
        ("Monsieur Jean de la Fontaine", "M.", "Jean", "de la Fontaine"),
        ("Mlle Léa", "Mlle", "", "Léa"),
        ("M. et Mme DUPONT", "M.", "", "DUPONT"),
        ("DUPONT J.", "", "J.", "DUPONT"),
        ("JEAN DUPONT", "", "", "JEAN DUPONT"),  # all capitals: cannot tell, kept whole
        ("Dupont", "", "", "Dupont"),
    ],
)
def test_person_names_are_split(name, title, first, last):
    record, rejections = parse(raison_sociale=name, siret="")
    assert rejections == []
    assert record.debtor_kind == "person" and record.company_name == ""
    assert (record.title, record.first_name, record.last_name) == (title, first, last)


def test_first_and_last_name_columns_are_used_as_given():
    headers = ["Facture", "Échéance", "Montant", "Nom", "Prénom"]
    mapping = guess_mapping(headers)
    record, rejections = parse_row(["F-1", "31/12/2025", "10", "Martin", "Jean Pierre"], 2, mapping, headers)
    assert rejections == []
    assert (record.first_name, record.last_name, record.debtor_kind) == ("Jean Pierre", "Martin", "person")
    record, rejections = parse_row(["F-1", "31/12/2025", "10", "", "Jean"], 3, mapping, headers)
    assert [(r.field, r.column, r.code) for r in rejections] == [("debtor_last_name", "Nom", "missing")]


def test_a_name_column_beside_a_first_name_is_the_family_name():
    record, _ = parse(raison_sociale="Martin", prenom="Jean", siret="")
    assert (record.first_name, record.last_name) == ("Jean", "Martin")


@pytest.mark.parametrize(
    ("kind", "name", "siren", "expected"),
    [
        ("Particulier", "Boulangerie Martin SARL", "", "person"),
        ("personne physique", "ACME", "", "person"),
        ("B2C", "ACME", "", "person"),
        ("P", "ACME", "", "person"),
        ("Professionnel", "Jean Dupont", "", "company"),
        ("Société", "Jean Dupont", "", "company"),
        ("entreprise", "Jean Dupont", "", "company"),
        ("B2B", "Jean Dupont", "", "company"),
        ("PRO", "Jean Dupont", "", "company"),
        ("E", "Jean Dupont", "", "company"),
        ("", "Jean Dupont", "552100554", "company"),
        ("", "Garage Durand SAS", "", "company"),
        ("", "Durand & Cie", "", "company"),
        ("", "Durand et Cie", "", "company"),
        ("", "EURL Pierre", "", "company"),
        ("", "SCI Les Tilleuls", "", "company"),
        ("", "Ets Martin", "", "company"),
        ("", "Jean Dupont", "", "person"),
        ("", "Sasha Sarlat", "", "person"),  # legal forms are whole words, not pieces of names
        ("Facture", "Jean Dupont", "", "person"),  # an unknown type is inferred, not refused
    ],
)
def test_debtor_kind_explicit_or_inferred(kind, name, siren, expected):
    record, rejections = parse(type=kind, raison_sociale=name, siret=siren)
    assert rejections == []
    assert record.debtor_kind == expected
    assert record.company_name == (name if expected == "company" else "")


@pytest.mark.parametrize(
    ("text", "siren"),
    [("552 100 554 00013", "552100554"), ("55210055400013", "552100554"), ("552.100.554", "552100554"),
     ("552 100 554", "552100554"), ("356 000 000 00048", "356000000")],  # the last: La Poste's exception
)  # fmt: skip
def test_siret_becomes_its_siren(text, siren):
    record, rejections = parse(siret=text)
    assert rejections == [] and record.siren == siren


@pytest.mark.parametrize(
    ("phone", "phone2", "country", "expected"),
    [
        ("06 12 34 56 78 / 01 23 45 67 89", "", "", ("+33612345678", "+33123456789")),
        ("0612345678; +33 6 12 34 56 78", "06.12.34.56.78", "France", ("+33612345678",)),
        ("0033 1 23 45 67 89, 07 81 23 45 67", "", "", ("+33123456789", "+33781234567")),
        ("+33 (0)6 12 34 56 78", "", "", ("+33612345678",)),
        ("0470 12 34 56", "+32 2 555 12 12", "Belgique", ("+32470123456", "+3225551212")),
        ("+44 20 7946 0958", "", "FR", ("+442079460958",)),
    ],
)
def test_phones_are_split_read_in_the_debtor_country_deduplicated_in_e164(phone, phone2, country, expected):
    record, rejections = parse(telephone=phone, tel_2=phone2, pays=country)
    assert rejections == [] and record.phones == expected


def test_a_french_national_number_is_invalid_for_a_belgian_debtor():
    assert rejected(telephone="06 12 34 56 78", pays="BE") == [
        (7, "phone", "Téléphone", "06 12 34 56 78", "invalid_phone")
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "FR"), ("France", "FR"), ("FRANCE", "FR"), ("fr", "FR"), ("FRA", "FR"), ("Belgique", "BE"),
     ("Belgium", "BE"), ("BEL", "BE"), ("Deutschland", "DE"), ("Allemagne", "DE"), ("Germany", "DE"),
     ("Suisse", "CH"), ("Royaume-Uni", "GB"), ("UK", "GB"), ("États-Unis", "US"), ("Espagne", "ES"),
     ("Côte d’Ivoire", "CI"), ("Luxembourg", "LU"), ("La Réunion", "RE")],
)  # fmt: skip
def test_countries_by_name_or_code(text, code):
    record, rejections = parse(pays=text, telephone="")
    assert rejections == [] and record.country == code


@pytest.mark.parametrize(
    ("text", "code"), [("", "EUR"), ("eur", "EUR"), ("€", "EUR"), ("USD", "USD"), ("XPF", "XPF")]
)
def test_currency_codes(text, code):
    record, rejections = parse(devise=text)
    assert rejections == [] and record.currency == code


def test_several_emails_are_all_kept_normalised():
    record, rejections = parse(email="Compta@ACME.fr; dg@acme.fr ,compta@acme.fr")
    assert rejections == []
    assert record.email == "compta@acme.fr"
    assert record.emails == ("compta@acme.fr", "dg@acme.fr")


def test_optional_cells_left_empty_give_empty_values():
    record, rejections = parse(
        email="", telephone="", siret="", iban="", code_client="", libelle="", adresse="", cp="", ville=""
    )
    assert rejections == []
    assert (record.email, record.emails, record.phones, record.siren, record.iban, record.external_id) == (
        None, (), (), None, None, None,
    )  # fmt: skip
    assert record.debtor_kind == "company"  # "SARL" in the name


def test_a_french_postcode_that_lost_its_leading_zero_gets_it_back():
    assert parse(cp="1000")[0].postcode == "01000"
    assert parse(cp="1000", pays="Belgique", telephone="")[0].postcode == "1000"


def test_cells_are_stripped_and_short_rows_are_read_as_empty():
    cells = [f"  {BASE.get(h, '')}  " for h in HEADERS][:12]
    record, rejections = parse_row(cells, 3, MAPPING, HEADERS)
    assert rejections == []
    assert record.invoice_number == "F-2025-001" and record.city == "" and record.iban is None


def test_parse_table_keeps_order_reports_progress_and_restores_the_collector():
    good = [BASE.get(h, "") for h in HEADERS]
    bad = list(good)
    bad[HEADERS.index("Montant")] = "0"
    table = Table(headers=HEADERS, rows=[good, bad, good], lines=[2, 3, 5])
    calls = []
    results = parse_table(table, MAPPING, progress=lambda done, total: calls.append((done, total)), every=2)
    assert [(r is not None, [x.code for x in rej]) for r, rej in results] == [
        (True, []), (False, ["zero_amount"]), (True, []),
    ]  # fmt: skip
    assert results[2][0].line == 5
    assert calls == [(0, 3), (2, 3)]
    assert gc.isenabled()


# The fast paths must agree with the libraries they stand in for.

_nine_digits = st.from_regex(r"[1-9][0-9]{8}", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(
    nsn=_nine_digits,
    prefix=st.sampled_from(["0", "+33", "0033", "+33 ", "00 33 "]),
    sep=st.sampled_from(["", " ", ".", "-"]),
)
def test_french_phone_fast_path_agrees_with_phonenumbers(nsn, prefix, sep):
    text = prefix + sep.join([nsn[0], nsn[1:3], nsn[3:5], nsn[5:7], nsn[7:]])
    number = phonenumbers.parse(text, "FR")
    expected = phonenumbers.format_number(number, 0) if phonenumbers.is_valid_number(number) else None
    try:
        got = values.parse_phone.__wrapped__(text, "FR")
    except values.Invalid:
        got = None
    assert got == expected


@settings(max_examples=400, deadline=None)
@given(text=st.from_regex(values._PLAIN_EMAIL, fullmatch=True) | st.emails())
def test_email_fast_path_agrees_with_email_validator(text):
    try:
        expected = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        got = values.parse_email.__wrapped__(text)
    except values.Invalid:
        got = None
    assert got == expected


_amount_text = st.from_regex(r"-?[0-9]{1,3}([ .,]?[0-9]{3}){0,3}([.,][0-9]{1,3})?( ?€)?", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(text=_amount_text | st.text(alphabet="0123456789 .,€-", max_size=12))
def test_amount_fast_path_agrees_with_parse_amount(text):
    try:
        expected = parse_amount(text)
    except AmountError:
        expected = None
    try:
        got = values.parse_cents(text)
    except values.Invalid:
        got = None
    assert got == expected
