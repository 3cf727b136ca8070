"""Paying by bank transfer: the agency's trust account and the case's structured reference (ISO 11649).

The RF creditor reference is "RF", two check digits (ISO 7064 mod 97-10) and the case reference without its
dash (D26-004217 → RF..D26004217): stable for the life of the case, checked by the debtor's bank when typed,
and read back by `case_for_rf_reference` so that a transfer can be matched to its case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from agency.db import db
from agency.models import AgencyProfile
from cases.models import Case

_CASE_BODY = re.compile(r"([A-Z])(\d{2})(\d{6,})")  # a case reference without its dash: D26004217


@dataclass(frozen=True)
class TransferDetails:
    """What a debtor types into a transfer: to whom, which account, and the reference."""

    beneficiary: str
    iban: str  # in groups of four, as printed
    bic: str
    bank_name: str
    reference: str  # RF creditor reference, in groups of four
    reference_compact: str


def case_rf_reference(case: Case) -> str:
    """Return the case's RF creditor reference, compact (RF47D26004217); valid ISO 11649."""
    body = re.sub(r"[^0-9A-Z]", "", case.reference.upper())
    if not body or len(body) > 21:  # a reference of another shape: the case id, which is as stable
        body = f"C{case.id}"
    return iso11649.validate(f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}")


def case_for_rf_reference(text: str) -> Case | None:
    """Return the case an RF reference names (as typed: spaces, lower case), or None when invalid or unknown."""
    try:
        number = iso11649.validate(text or "")
    except iso11649.ValidationError:
        return None
    body = number[4:]
    if m := _CASE_BODY.fullmatch(body):
        case = db.session.scalar(sa.select(Case).where(Case.reference == f"{m[1]}{m[2]}-{m[3]}"))
        if case is not None:
            return case
    if body.startswith("C") and body[1:].isdigit():
        return db.session.get(Case, int(body[1:]))
    return None


def transfer_details(case: Case) -> TransferDetails | None:
    """Return the bank details to pay `case` by transfer, or None while the agency has no trust IBAN on file."""
    profile = db.session.get(AgencyProfile, 1)
    if profile is None or not profile.trust_iban:
        return None
    try:
        iban = IBAN(profile.trust_iban).formatted
    except SchwiftyException:
        iban = profile.trust_iban
    reference = case_rf_reference(case)
    return TransferDetails(profile.name, iban, profile.trust_bic, profile.trust_bank_name,
                           iso11649.format(reference), reference)
