"""The words for closing reasons (the built-in ones; an agency's own reasons carry their label)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REASON = {
    "paid_in_full": _l("Paid in full"),
    "settled": _l("Settled"),
    "insolvent_no_assets": _l("Insolvent without assets"),
    "unfindable": _l("Debtor cannot be found"),
    "deceased_no_estate": _l("Deceased without estate"),
    "limitation": _l("Limitation reached"),
    "dispute_upheld": _l("Dispute upheld"),
    "recalled": _l("Recalled by the client"),
    "insolvency_filed": _l("Claim filed in insolvency, handed over"),
    "judicial_lawyer": _l("Judicial stage handed to a lawyer"),
    "below_minimum": _l("Below the mandate's minimum"),
    "credit_note": _l("Settled by the client's credit note"),
}
STATUS = {
    "proposed": _l("Closing proposed"),
    "rejected": _l("Closing refused"),
    # Not "Closed": its French, shared with the alerts (« alerte close »), reads as the English verb on a case.
    "closed": _l("Closed unpaid"),
    "reopened": _l("Reopened"),
}


def reason_label(reason) -> str:
    """What a reason is called: its translation when built in, else the agency's own words."""
    return str(REASON.get(reason.code, reason.label))
