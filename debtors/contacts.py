"""Contact points as people read them."""

from __future__ import annotations

import phonenumbers


def format_phone(e164: str, home_region: str = "FR") -> str:
    """Show a stored E.164 number the way a collector dials it: national form at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    same_country = phonenumbers.region_code_for_number(number) == home_region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
