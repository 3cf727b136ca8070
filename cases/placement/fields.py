"""The canonical fields of a placement file and the guess of which column holds which field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True, slots=True)
class Field:
    """One thing a placement row can tell: its key, its label on screen and the headers that name it."""

    key: str
    label: LazyString
    required: bool
    synonyms: tuple[str, ...]


# Synonyms are written lower-case and accent-free; they go through the same normalisation as the
# headers, so "n° facture" and "date d'echeance" are compared as "n facture" and "date d echeance".
# A synonym belongs to one field only: the exact pass relies on it.
def _field(key: str, label: LazyString, synonyms: str, required: bool = False) -> Field:
    return Field(key, label, required, tuple(synonyms.split("|")))


FIELDS: tuple[Field, ...] = (
    _field(
        "invoice_number",
        _l("Invoice number"),
        "numero facture|numero de facture|n° facture|n° de facture|no facture|num facture|ref facture"
        "|reference facture|ref|facture|invoice|invoice number|invoice no|invoice #|invoice ref|piece|n° piece"
        "|num piece|numero piece|reference|document number",
        required=True,
    ),
    _field(
        "issue_date",
        _l("Issue date"),
        "date facture|date de facture|date emission|date d emission|date piece|date de la facture"
        "|invoice date|issue date|date",
    ),
    _field(
        "due_date",
        _l("Due date"),
        "echeance|date echeance|date d echeance|date de l echeance|date limite de paiement|due date|due"
        "|payment due|date due",
        required=True,
    ),
    _field(
        "amount",
        _l("Amount"),
        "montant|montant ttc|montant du|montant facture|montant restant du|solde|solde du|reste du"
        "|reste a payer|restant du|total ttc|amount|amount due|invoice amount|balance|balance due"
        "|outstanding|open amount|total",
        required=True,
    ),
    _field("currency", _l("Currency"), "devise|monnaie|currency"),
    _field(
        "debtor_name",
        _l("Debtor name"),
        "raison sociale|nom|nom client|nom du client|client|debiteur|nom debiteur|nom du debiteur|societe"
        "|name|customer|customer name|company|company name|debtor|debtor name",
        required=True,
    ),
    _field("debtor_first_name", _l("First name"), "prenom|first name|firstname|given name"),
    _field(
        "debtor_last_name",
        _l("Last name"),
        "nom de famille|nom patronymique|last name|lastname|surname|family name",
    ),
    _field(
        "debtor_kind",
        _l("Debtor type"),
        "type|type client|type de client|particulier/professionnel|categorie client|kind|customer type|b2b/b2c",
    ),
    _field("siren", _l("SIREN"), "siren|siret|n° siren|n° siret|numero siren|numero siret"),
    _field("email", _l("E-mail"), "email|e-mail|mail|courriel|adresse email|adresse mail"),
    _field(
        "phone",
        _l("Phone"),
        "telephone|tel|phone|mobile|portable|telephone 1|tel 1|phone 1|telephone mobile|gsm|phone number",
    ),
    _field("phone2", _l("Second phone"), "telephone 2|tel 2|phone 2|fixe|telephone fixe"),
    _field(
        "address_line1",
        _l("Address"),
        "adresse|adresse 1|adresse ligne 1|address|address line 1|address 1|rue|street",
    ),
    _field(
        "address_line2",
        _l("Address line 2"),
        "adresse 2|adresse ligne 2|complement|complement d adresse|address line 2|address 2",
    ),
    _field("postcode", _l("Postcode"), "code postal|cp|postcode|zip|zip code|postal code"),
    _field("city", _l("City"), "ville|commune|localite|city|town"),
    _field("country", _l("Country"), "pays|code pays|country|country code"),
    _field(
        "external_id",
        _l("Customer number"),
        "code client|n° client|numero client|compte client|ref client|reference client|customer id"
        "|customer number|customer code|account|account number",
    ),
    _field("iban", _l("IBAN"), "iban|rib"),
    _field("description", _l("Description"), "libelle|designation|description|objet|motif"),
)
FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

_PUNCTUATION = re.compile(r"[^a-z0-9#]+")
# Currency marks say nothing about the field: "Montant TTC (€)" is "montant ttc".
_CURRENCY = re.compile(r"[€$£]|\b(?:eur|euros?)\b")
# Single words that mostly qualify another ("Ville client", "Customer e-mail"): matched inside a
# header only when nothing more specific is.
_WEAK = frozenset(
    {
        "client",
        "customer",
        "facture",
        "invoice",
        "debiteur",
        "debtor",
        "societe",
        "company",
        "piece",
        "reference",
        "date",
        "account",
        "name",
        "nom",
        "due",
        "total",
        "type",
        "kind",
    }
)
# Headers naming a person's family name when a first-name column sits beside them.
_PLAIN_NAME = frozenset({"nom", "name"})


@lru_cache(maxsize=4096)
def normalize_header(text: str) -> str:
    """Return a header lower-cased, without accents, currency marks or punctuation, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", _CURRENCY.sub(" ", plain)).strip()


def _build_exact() -> dict[str, str]:
    exact: dict[str, str] = {}
    for field in FIELDS:
        for synonym in field.synonyms:
            norm = normalize_header(synonym)
            if exact.setdefault(norm, field.key) != field.key:
                raise AssertionError(f"synonym {synonym!r} given to two fields")
    return exact


_EXACT = _build_exact()
# Required fields are guessed first, so an ambiguous column goes to the field the import cannot do without.
_PRIORITY = sorted(FIELDS, key=lambda f: not f.required)


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Guess which column holds each field: exact synonyms first, then headers containing a synonym."""
    norms = [normalize_header(h) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for field in _PRIORITY:
        for index, norm in enumerate(norms):
            if index not in used and _EXACT.get(norm) == field.key:
                mapping[field.key] = index
                used.add(index)
                break
    _guess_by_containment(norms, mapping, used)
    _family_name_beside_first_name(norms, mapping, used)
    return mapping


def _guess_by_containment(norms: list[str], mapping: dict[str, int], used: set[int]) -> None:
    """Map the fields still unmapped to headers containing one of their synonyms as whole words."""
    candidates = []
    for field in FIELDS:
        if field.key in mapping:
            continue
        for index, norm in enumerate(norms):
            if index in used or not norm:
                continue
            padded = f" {norm} "
            for synonym in map(normalize_header, field.synonyms):
                position = padded.find(f" {synonym} ")
                if position >= 0:
                    # Longer synonyms are more specific; French puts the head noun first ("montant facture").
                    rank = (synonym in _WEAK, -len(synonym), position, not field.required)
                    candidates.append((rank, index, field.key))
    for _rank, index, key in sorted(candidates):
        if key not in mapping and index not in used:
            mapping[key] = index
            used.add(index)


def _family_name_beside_first_name(norms: list[str], mapping: dict[str, int], used: set[int]) -> None:
    """Read a plain "Nom" column as the family name when the file also has a "Prénom" column."""
    if "debtor_first_name" not in mapping or "debtor_last_name" in mapping:
        return
    name_index = mapping.get("debtor_name")
    if name_index is not None and norms[name_index] in _PLAIN_NAME:
        mapping["debtor_last_name"] = mapping.pop("debtor_name")
        return
    for index, norm in enumerate(norms):
        if index not in used and norm in _PLAIN_NAME:
            mapping["debtor_last_name"] = index
            used.add(index)
            return


def missing_required(mapping: dict[str, int]) -> list[str]:
    """Return the keys of the required fields the mapping lacks (a last-name column stands for the name)."""
    missing = []
    for field in FIELDS:
        if not field.required or field.key in mapping:
            continue
        if field.key == "debtor_name" and "debtor_last_name" in mapping:
            continue
        missing.append(field.key)
    return missing
