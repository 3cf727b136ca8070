"""Reading a phone number, an e-mail address, a postcode or an address line, wherever it comes from.

A placement's cells, the debtor's own corrections in their space and the staff's forms on the debtor page are
held to the same rules: E.164 through phonenumbers, email-validator for the syntax, a French postcode of a real
department, and address lines that fit the window of an envelope. Each parser is cached (a placement repeats the
same values on many rows, and the libraries cost tens of microseconds a call) and returns the normalised value
or raises `Invalid` carrying a stable code.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email


class Invalid(ValueError):
    """A value that cannot be read; `code` names the reason (see `cases.placement.rows.REASONS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_IDENTIFIER_NOISE = str.maketrans("", "", " .-\u00a0\u202f")
# Fast paths for what most rows hold (a French number, a plain ASCII address); both accept only what
# phonenumbers and email_validator accept, and tests hold them to it. Anything else takes the library.
_FRENCH_NUMBER = re.compile(r"(?:0|\+33|0033)([1-9]\d{8})")
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})",
    re.ASCII | re.IGNORECASE,
)
_FRENCH_POSTCODE = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-8])\d{3}")
# AFNOR XPZ 10-011 (La Poste's addressing standard): at most 38 characters a line, spaces included, so that
# every line shows in the window of the envelope and the sorting machines read it.
WINDOW_LINE_CHARS = 38


@lru_cache(maxsize=1)
def _french_number_types() -> re.Pattern[str]:
    """Compile the national number patterns phonenumbers holds for France's valid number types."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    descs = (meta.fixed_line, meta.mobile, meta.toll_free, meta.premium_rate, meta.shared_cost,
             meta.personal_number, meta.voip, meta.pager, meta.uan, meta.voicemail)  # fmt: skip
    return re.compile(
        "|".join(f"(?:{d.national_number_pattern})" for d in descs if d and d.national_number_pattern)
    )


@lru_cache(maxsize=65536)
def parse_phone(text: str, region: str = "FR") -> str:
    """Return a phone number in E.164, read in the region of the debtor's country when national."""
    if region == "FR" and (match := _FRENCH_NUMBER.fullmatch(text.translate(_IDENTIFIER_NOISE))):
        if _french_number_types().fullmatch(match[1]):
            return "+33" + match[1]
        raise Invalid("invalid_phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise Invalid("invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def parse_email(text: str) -> str:
    """Return an e-mail address checked for syntax (not deliverability), lower-cased."""
    if text.isascii() and len(text) <= 254 and (match := _PLAIN_EMAIL.fullmatch(text)):
        domain = text[text.index("@") + 1 :]
        if "--" not in domain and match[1].lower() not in SPECIAL_USE_DOMAIN_NAMES and text.index("@") <= 64:
            return text.lower()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid("invalid_email") from None


def parse_postcode(text: str, country: str = "FR") -> str:
    """Return a postcode without its spaces; a French one must be five digits of a real department (01–98)."""
    code = "".join(text.split()).upper()
    if country == "FR" and not _FRENCH_POSTCODE.fullmatch(code):
        raise Invalid("invalid_postcode")
    if not code or len(code) > 16:
        raise Invalid("invalid_postcode")
    return code


def window_line(text: str) -> str:
    """Return an address line with its spaces tidied; longer than the window's 38 characters is `Invalid`."""
    line = " ".join(text.split())
    if len(line) > WINDOW_LINE_CHARS:
        raise Invalid("line_too_long")
    return line
