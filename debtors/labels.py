"""What debtor kinds, holds and contact statuses are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

KIND = {"person": _l("Person"), "company": _l("Company")}
HOLD = {
    "dispute": _l("Dispute"),
    "insolvency": _l("Insolvency proceedings"),
    "over_indebtedness": _l("Over-indebtedness"),
    "deceased": _l("Deceased"),
    "cease_communication": _l("Cease communication"),
}
CONTACT_KIND = {"phone": _l("Phone"), "email": _l("E-mail"), "address": _l("Address")}
CONTACT_STATUS = {
    "unverified": _l("Unverified"),
    "valid": _l("Valid"),
    "wrong": _l("Wrong"),
    "bounced": _l("Bounced"),
    "inactive": _l("Inactive"),
}


def as_context() -> dict:
    """Return the labels for templates."""
    return {
        "debtor_labels": {
            "kind": KIND,
            "hold": HOLD,
            "contact_kind": CONTACT_KIND,
            "contact_status": CONTACT_STATUS,
        }
    }
