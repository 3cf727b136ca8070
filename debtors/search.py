"""Finding debtors by what a collector types: a name in any case, accents and word order, a SIREN, a phone
number in any format, an e-mail address or a postcode.

Each kind of key is matched in a way an index answers at a million debtors: the name through the stored
folded `Debtor.search_name` (a trigram index on PostgreSQL), the others by equality on a normalised value
(SIREN, E.164 phone, lower-case e-mail, postcode). Nothing here scans a table with `LIKE '%…%'` on a raw
column.
"""

from __future__ import annotations

import re

import phonenumbers
import sqlalchemy as sa

from debtors.folding import fold
from debtors.models import ContactKind, ContactPoint, Debtor

# Trigrams need three letters to narrow anything down; a shorter word is matched as a whole word instead.
SUBSTRING_MIN = 3
MAX_WORDS = 6
_DIGITS_ONLY = re.compile(r"[\d\s.]+")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")
_POSTCODE_LIKE = re.compile(r"[0-9A-Z][0-9A-Z \-]{1,8}[0-9A-Z]")


# Legal forms and their like name no one: "Martin SARL" is searched as "martin", and "SARL" alone as no name
# (it would match every company).
LEGAL_FORMS = frozenset(
    "sa sas sasu sarl eurl sci snc scp scm selarl earl gaec sca ei eirl ste societe ets etablissements cie".split()
)


def name_words(term: str) -> list[str]:
    """Return the folded words of a typed name that can tell debtors apart, at most MAX_WORDS of them."""
    # Dots dropped first: "S.A.R.L." is the word sarl, not four letters.
    return [word for word in fold(term.replace(".", "")).split() if word not in LEGAL_FORMS][:MAX_WORDS]


def name_clause(words: list[str]) -> sa.ColumnElement[bool]:
    """Match debtors whose name holds every word, in any order (a short word as a whole word)."""
    column = Debtor.search_name
    clauses = []
    for word in words:
        if len(word) >= SUBSTRING_MIN:
            clauses.append(column.like(f"%{word}%"))
        else:
            clauses.append(
                sa.or_(
                    column == word,
                    column.like(f"{word} %"),
                    column.like(f"% {word}"),
                    column.like(f"% {word} %"),
                )
            )
    return sa.and_(*clauses)


def siren_key(term: str) -> str | None:
    """Return the SIREN a term names (nine digits, or a SIRET's first nine), spaces and dots allowed."""
    if not _DIGITS_ONLY.fullmatch(term):
        return None
    digits = re.sub(r"\D", "", term)
    if len(digits) == 9:
        return digits
    return digits[:9] if len(digits) == 14 else None


def phone_key(term: str, region: str = "FR") -> str | None:
    """Return the E.164 form of a typed phone number ("06 12 34 56 78", "0033 6…", "+33…"), if it is one."""
    if not _PHONE_LIKE.fullmatch(term) or sum(c.isdigit() for c in term) < 6:
        return None
    try:
        number = phonenumbers.parse(term, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(term: str) -> str | None:
    """Return a typed e-mail address as contact points store it (lower case)."""
    term = term.strip()
    return term.lower() if "@" in term and " " not in term else None


def postcode_key(term: str) -> str | None:
    """Return a typed postcode as addresses store it: "75002", "2A004" or a foreign one such as "SW1A 1AA"."""
    compact = " ".join(term.upper().split())
    if _POSTCODE_LIKE.fullmatch(compact) and any(c.isdigit() for c in compact):
        return compact
    return None


def matching_debtor_ids(term: str, *, contacts: bool) -> list[sa.Select]:
    """Return SELECTs of the ids of debtors `term` names; with `contacts`, by phone, e-mail and postcode too.

    Client users do not search contact details (they are the agency's research, not the client's file).
    """
    selects = []
    # A name has letters: a term of digits alone (a phone, a SIREN) does not look for one.
    if any(c.isalpha() for c in term) and (words := name_words(term)):
        selects.append(sa.select(Debtor.id).where(name_clause(words)))
    if siren := siren_key(term):
        selects.append(sa.select(Debtor.id).where(Debtor.siren == siren))
    if not contacts:
        return selects
    # The kind is repeated in each WHERE so that the planner may use the partial indexes on contact points.
    reachable = ContactPoint.kind.in_([ContactKind.PHONE.value, ContactKind.EMAIL.value])
    if phone := phone_key(term):
        selects.append(sa.select(ContactPoint.debtor_id).where(reachable, ContactPoint.value == phone))
    if email := email_key(term):
        selects.append(sa.select(ContactPoint.debtor_id).where(reachable, ContactPoint.value == email))
    if postcode := postcode_key(term):
        selects.append(
            sa.select(ContactPoint.debtor_id).where(
                ContactPoint.kind == ContactKind.ADDRESS.value, ContactPoint.postcode == postcode
            )
        )
    return selects
