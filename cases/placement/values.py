"""Reading one cell of a placement file: dates, amounts, identifiers, phones, e-mails, countries, names.

Each parser is cached: a placement repeats the same dates, debtors and towns on many rows, and the
libraries behind phones, e-mails and IBANs cost tens of microseconds a call. A parser returns the
normalised value or raises `Invalid` carrying a stable code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.core import get_global
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from agency.money import AmountError, parse_amount

# Phones, e-mails and postcodes are read as the debtor's contact points are, wherever they come from.
from debtors.contact_values import (  # noqa: F401 (the placement's parsers, imported from here)
    _IDENTIFIER_NOISE,
    _PLAIN_EMAIL,
    Invalid,
    parse_email,
    parse_phone,
    parse_postcode,
)

_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d+)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?")
_YMD = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?")
_PHONE_SPLIT = re.compile(r"[/;,\n]")
_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_WORDS = re.compile(r"[^a-z0-9]+")
# "1234", "1234,5", "1234.56", or "1.234,56" with dotted thousands and a decimal comma.
_PLAIN_AMOUNT = re.compile(r"(\d+)(?:[.,](\d{1,2}))?|(\d{1,3}(?:\.\d{3})+),(\d{1,2})", re.ASCII)
_AMOUNT_NOISE = str.maketrans("", "", " €\u00a0\u202f\t")
CURRENCIES = frozenset(
    "EUR USD GBP CHF XPF XOF XAF CAD AUD NZD JPY CNY HKD SGD SEK NOK DKK ISK PLN CZK HUF RON BGN TRY "
    "MAD TND DZD MUR ILS AED SAR QAR INR BRL MXN ZAR".split()
)
_CURRENCY_ALIASES = {"€": "EUR", "EURO": "EUR", "EUROS": "EUR", "$": "USD", "US$": "USD", "£": "GBP"}
_PERSON_KINDS = frozenset(
    "particulier|particuliers|personne physique|physique|pp|p|b2c|consommateur|person|individual"
    "|private|consumer".split("|")
)
_COMPANY_KINDS = frozenset(
    "professionnel|professionnels|pro|societe|entreprise|personne morale|morale|pm|e|b2b|association"
    "|administration|collectivite|company|business|corporate".split("|")
)
# Legal forms and words that only a business name carries ("& Cie", "Ets Martin").
_LEGAL_FORMS = frozenset(
    "sa sas sasu sarl sarlu eurl snc scs sca sci scp scm scop selarl selas selafa selca sem gie ei eirl "
    "earl gaec scea sccv cie societe ste ets etablissements association assoc holding groupe "
    "gmbh ltd llc inc corp plc bv nv sprl srl spa ag".split()
)
_CIVILITIES = {
    "m": "M.", "mr": "M.", "monsieur": "M.", "mme": "Mme", "madame": "Mme", "mrs": "Mme", "ms": "Mme",
    "mlle": "Mlle", "mademoiselle": "Mlle", "miss": "Mlle",
}  # fmt: skip
_JOINERS = frozenset({"et", "ou", "", "and"})  # "M. et Mme DUPONT", "M. & Mme DUPONT"
_PARTICLES = frozenset({"de", "du", "des", "d", "le", "la", "van", "von", "der", "den", "di", "da", "del"})
# Countries people write by a name CLDR does not give in French or English.
_COUNTRY_ALIASES = {
    "uk": "GB", "angleterre": "GB", "england": "GB", "grande bretagne": "GB", "great britain": "GB",
    "usa": "US", "etats unis d amerique": "US", "deutschland": "DE", "espana": "ES", "italia": "IT",
    "nederland": "NL", "hollande": "NL", "holland": "NL", "schweiz": "CH", "svizzera": "CH",
    "belgie": "BE", "osterreich": "AT", "polska": "PL", "la reunion": "RE", "reunion": "RE",
}  # fmt: skip
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


def fold(text: str) -> str:
    """Return text lower-cased, without accents, punctuation turned to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return _WORDS.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


@lru_cache(maxsize=8192)
def parse_date(text: str) -> date:
    """Read 31/12/2025, 31-12-2025, 31.12.2025 or 2025-12-31; refuse two-digit years as ambiguous."""
    if match := _YMD.fullmatch(text):
        year, month, day = int(match[1]), int(match[3]), int(match[4])
    elif match := _DMY.fullmatch(text):
        if len(match[4]) != 4:
            raise Invalid("invalid_date")
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    else:
        raise Invalid("invalid_date")
    if not 1900 <= year <= 2199:
        raise Invalid("impossible_date")
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("impossible_date") from None


def parse_cents(text: str) -> int:
    """Read an amount as written in France or elsewhere into signed cents."""
    # Not cached: amounts seldom repeat, and a cache entry per row only feeds the garbage collector.
    # parse_amount drops spaces and "€" anywhere; what is left is often a plain "1234,56".
    if match := _PLAIN_AMOUNT.fullmatch(text.translate(_AMOUNT_NOISE)):
        units, cents = (match[1], match[2]) if match[1] else (match[3].replace(".", ""), match[4])
        return int(units) * 100 + int((cents or "0").ljust(2, "0"))
    try:
        return parse_amount(text)
    except AmountError:
        raise Invalid("not_a_number") from None


@lru_cache(maxsize=256)
def parse_currency(text: str) -> str:
    """Read an ISO 4217 code (or €, $, £, "euros") among the currencies the agency handles."""
    code = text.strip().upper()
    code = _CURRENCY_ALIASES.get(code, code)
    if code not in CURRENCIES:
        raise Invalid("unknown_currency")
    return code


@lru_cache(maxsize=65536)
def parse_siren(text: str) -> str:
    """Return the 9-digit SIREN of a SIREN or a SIRET (14 digits), checking its key."""
    digits = text.translate(_IDENTIFIER_NOISE)
    if len(digits) == 14 and stdnum_siret.is_valid(digits):
        return digits[:9]
    if len(digits) == 9 and stdnum_siren.is_valid(digits):
        return digits
    raise Invalid("invalid_siren")


def split_phones(text: str) -> list[str]:
    """Split a cell holding several phone numbers ("06 12 34 56 78 / 01 23 45 67 89")."""
    if not text:
        return []
    return [part.strip() for part in _PHONE_SPLIT.split(text) if part.strip()]


def split_emails(text: str) -> list[str]:
    """Split a cell holding several e-mail addresses."""
    if not text:
        return []
    return [part for part in _EMAIL_SPLIT.split(text) if part]


@lru_cache(maxsize=16384)
def parse_iban(text: str) -> str:
    """Return an IBAN in compact form, its checksum and national format checked."""
    try:
        return IBAN(text).compact
    except (SchwiftyException, ValueError):
        raise Invalid("invalid_iban") from None


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Map folded country names (French, English), ISO alpha-2 and alpha-3 codes to alpha-2."""
    table: dict[str, str] = {}
    for locale in ("en", "fr"):
        for code, name in Locale(locale).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                table[fold(name)] = code
                table[code.lower()] = code
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and targets and targets[0] in table.values():
            table.setdefault(alias.lower(), targets[0])
    table.update(_COUNTRY_ALIASES)
    return table


@lru_cache(maxsize=1024)
def parse_country(text: str) -> str:
    """Return the ISO 3166 alpha-2 code of a country written as a code or a French or English name."""
    code = _countries().get(fold(text))
    if code is None:
        raise Invalid("unknown_country")
    return code


@lru_cache(maxsize=256)
def kind_from_text(text: str) -> str | None:
    """Read an explicit debtor type ("particulier", "B2B", "P"…) as 'person' or 'company'; None if unknown."""
    folded = fold(text)
    if folded in _PERSON_KINDS:
        return "person"
    if folded in _COMPANY_KINDS:
        return "company"
    return None


@lru_cache(maxsize=65536)
def has_legal_form(name: str) -> bool:
    """Tell whether a name carries a legal form or a business word (SARL, SAS, "& Cie", Ets…)."""
    return not _LEGAL_FORMS.isdisjoint(fold(name).split())


@lru_cache(maxsize=65536)
def split_person_name(name: str) -> tuple[str, str, str]:
    """Split "M. Jean DUPONT" or "DUPONT Jean" into (title, first name, last name).

    An ALL-CAPS word belongs to the last name; without one the last word (and its particles) is the
    last name. A name written all in capitals cannot be split safely and stays whole as the last name.
    """
    words = name.split()
    title = ""
    while words and (fold(words[0]) in _CIVILITIES or fold(words[0]) in _JOINERS):
        title = title or _CIVILITIES.get(fold(words[0]), "")
        words.pop(0)
    if len(words) <= 1:
        return title, "", " ".join(words)
    capitals = [w for w in words if _is_capitalised_surname(w)]
    if capitals and len(capitals) < len(words):
        return title, " ".join(w for w in words if w not in capitals), " ".join(capitals)
    if capitals:
        return title, "", " ".join(words)
    cut = len(words) - 1
    while cut > 1 and fold(words[cut - 1]) in _PARTICLES:
        cut -= 1
    return title, " ".join(words[:cut]), " ".join(words[cut:])


def _is_capitalised_surname(word: str) -> bool:
    """Tell a surname in capitals ("DUPONT", "LE-GALL") from an initial ("J.")."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and word.isupper()
