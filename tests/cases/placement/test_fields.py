"""Guessing which column of a placement file holds which field, from French and English headers."""

from __future__ import annotations

import pytest

from cases.placement.fields import FIELDS, FIELDS_BY_KEY, guess_mapping, missing_required, normalize_header

pytestmark = pytest.mark.no_db

FRENCH = "N° facture;Date facture;Échéance;Montant TTC (€);Raison sociale;SIRET;Email;Téléphone;Adresse;Code postal;Ville"


def test_french_accounting_headers_map_to_every_field():
    assert guess_mapping(FRENCH.split(";")) == {
        "invoice_number": 0,
        "issue_date": 1,
        "due_date": 2,
        "amount": 3,
        "debtor_name": 4,
        "siren": 5,
        "email": 6,
        "phone": 7,
        "address_line1": 8,
        "postcode": 9,
        "city": 10,
    }


def test_english_headers_map_to_every_field():
    headers = [
        "Invoice Number", "Invoice Date", "Due Date", "Amount Due ($)", "Currency", "Customer Name",
        "Customer ID", "E-mail", "Phone", "Phone 2", "Address Line 1", "Address Line 2", "ZIP", "City",
        "Country", "IBAN", "Description",
    ]  # fmt: skip
    mapping = guess_mapping(headers)
    assert {key: headers[i] for key, i in mapping.items()} == {
        "invoice_number": "Invoice Number",
        "issue_date": "Invoice Date",
        "due_date": "Due Date",
        "amount": "Amount Due ($)",
        "currency": "Currency",
        "debtor_name": "Customer Name",
        "external_id": "Customer ID",
        "email": "E-mail",
        "phone": "Phone",
        "phone2": "Phone 2",
        "address_line1": "Address Line 1",
        "address_line2": "Address Line 2",
        "postcode": "ZIP",
        "city": "City",
        "country": "Country",
        "iban": "IBAN",
        "description": "Description",
    }
    assert missing_required(mapping) == []


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.key)
def test_every_synonym_alone_names_its_field(field):
    for synonym in field.synonyms:
        assert guess_mapping([synonym.upper()]) == {field.key: 0}, synonym


def test_headers_are_compared_without_case_accents_punctuation_or_currency():
    assert normalize_header("  Montant TTC (€) ") == "montant ttc"
    assert normalize_header("Date d'échéance") == "date d echeance"
    assert normalize_header("N° Facture") == "n facture"
    assert normalize_header("Code_Postal") == "code postal"
    assert normalize_header("Montant EUR") == "montant"


def test_a_header_containing_a_synonym_is_matched_by_its_specific_word():
    headers = [
        "Réf. pièce",
        "Montant HT facture",
        "Date d'échéance facture",
        "Ville client",
        "Customer e-mail",
    ]
    mapping = guess_mapping(headers)
    assert mapping["amount"] == 1  # "montant", the head noun, not the qualifier "facture"
    assert mapping["due_date"] == 2
    assert mapping["city"] == 3  # not the debtor's name because of "client"
    assert mapping["email"] == 4
    assert "debtor_name" not in mapping


def test_containment_matches_whole_words_only():
    # "prenom" contains "nom", "telephone" contains "tel": neither may steal the column.
    mapping = guess_mapping(["Prénom du contact", "Numéro de téléphone portable"])
    assert mapping == {"debtor_first_name": 0, "phone": 1}


def test_no_column_is_mapped_twice_and_the_first_of_equal_headers_wins():
    headers = ["Montant", "Montant", "Échéance", "Échéance", "Facture"]
    mapping = guess_mapping(headers)
    assert mapping == {"amount": 0, "due_date": 2, "invoice_number": 4}
    assert len(set(mapping.values())) == len(mapping)


def test_exact_headers_are_matched_before_headers_that_only_contain_a_synonym():
    # "Solde client" contains "solde" (amount) and "client" (a weak word for the name); "Nom client"
    # is the name exactly, so the ambiguous column is left to the amount.
    mapping = guess_mapping(["Numéro facture", "Solde client", "Nom client", "Échéance"])
    assert mapping == {"invoice_number": 0, "amount": 1, "debtor_name": 2, "due_date": 3}


def test_nom_beside_prenom_is_the_family_name():
    assert guess_mapping(["Nom", "Prénom", "Facture"]) == {
        "debtor_last_name": 0,
        "debtor_first_name": 1,
        "invoice_number": 2,
    }
    # With a company name column too, "Nom" still goes to the family name.
    mapping = guess_mapping(["Raison sociale", "Nom", "Prénom"])
    assert mapping == {"debtor_name": 0, "debtor_last_name": 1, "debtor_first_name": 2}


def test_unknown_headers_are_left_unmapped():
    assert guess_mapping(["Commercial", "Agence", ""]) == {}


def test_missing_required_lists_the_required_fields_absent():
    assert missing_required({}) == ["invoice_number", "due_date", "amount", "debtor_name"]
    assert missing_required(guess_mapping(FRENCH.split(";"))) == []
    assert missing_required({"invoice_number": 0, "due_date": 1, "amount": 2}) == ["debtor_name"]


def test_a_last_name_column_stands_for_the_debtor_name():
    mapping = {"invoice_number": 0, "due_date": 1, "amount": 2, "debtor_last_name": 3}
    assert missing_required(mapping) == []
    assert missing_required({"invoice_number": 0, "due_date": 1, "amount": 2, "debtor_first_name": 3}) == [
        "debtor_name"
    ]


def test_fields_have_labels_and_the_required_set_is_the_documented_one():
    assert {f.key for f in FIELDS if f.required} == {"invoice_number", "due_date", "amount", "debtor_name"}
    assert all(str(f.label) for f in FIELDS)
    assert FIELDS_BY_KEY["siren"].synonyms[0] == "siren"
    assert len(FIELDS_BY_KEY) == len(FIELDS) == 21
