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
    "inactive": _l("Replaced"),
}
# Where a contact point came from: the choices staff have, then the older or automatic sources.
CONTACT_SOURCE_CHOICES = {
    "client": _l("Client"),
    "debtor": _l("Debtor"),
    "research": _l("Collector research"),
    "returned_mail": _l("Returned mail"),
    "other": _l("Other"),
}
CONTACT_SOURCE = CONTACT_SOURCE_CHOICES | {
    "placement": _l("Client (placement file)"),
    "collector": _l("Collector"),
}
# Why the contact rules refused a contact (debtors.compliance.Verdict.reason).
CONTACT_REASON = {
    "outside_hours": _l("Outside contact hours"),
    "holiday": _l("Public holiday"),
    "opted_out": _l("Opted out"),
    "wrong_contact": _l("Wrong or bounced contact point"),
    "no_contact_point": _l("No contact point"),
    "hold_dispute": _l("Dispute in progress"),
    "hold_insolvency": _l("Insolvency proceedings"),
    "hold_over_indebtedness": _l("Over-indebtedness"),
    "hold_deceased": _l("Deceased"),
    "hold_cease_communication": _l("Cease communication"),
    "call_cap": _l("Call cap reached"),
    "conversation_wait": _l("Wait after a conversation"),
    "not_mobile": _l("Not a mobile number"),
}
CHANNEL = {"phone": _l("Call"), "sms": _l("SMS"), "email": _l("E-mail"), "post": _l("Letter")}


def as_context() -> dict:
    """Return the labels for templates."""
    return {
        "debtor_labels": {
            "kind": KIND,
            "hold": HOLD,
            "contact_kind": CONTACT_KIND,
            "contact_status": CONTACT_STATUS,
            "contact_source": CONTACT_SOURCE,
            "contact_reason": CONTACT_REASON,
            "channel": CHANNEL,
        }
    }
