"""The words staff and clients read for routes, stages, steps and deadlines (French by default)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROUTE = {
    "small_claims": _l("Small claims (commissaire de justice)"),
    "order_commercial": _l("Order to pay — commercial court"),
    "order_judicial": _l("Order to pay — tribunal judiciaire"),
    "order_protection": _l("Order to pay — protection judge"),
    "referral": _l("Referral to a lawyer or commissaire de justice"),
}
STAGE = {
    "proposed": _l("Proposed, awaiting the agency's approval"),
    "awaiting_client": _l("Awaiting the client's approval"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "preparing": _l("File in preparation"),
    "filed": _l("Filed with the court"),
    "order_issued": _l("Order issued, to be served"),
    "order_refused": _l("Order refused"),
    "served": _l("Served, opposition window running"),
    "opposed": _l("Opposed by the debtor"),
    "invited": _l("Debtor invited, awaiting the answer"),
    "agreed": _l("Debtor agreed"),
    "declined": _l("Debtor declined"),
    "referred": _l("With a lawyer or commissaire de justice"),
    "enforceable": _l("Enforceable title"),
    "enforcement": _l("Enforcement under way"),
    "paid": _l("Paid"),
    "partly_paid": _l("Partly paid"),
    "unenforceable": _l("Unenforceable"),
    "lapsed": _l("Lapsed (not served in time)"),
}
STAGE_COLOR = {
    "proposed": "warning", "awaiting_client": "warning", "refused": "secondary", "withdrawn": "secondary",
    "preparing": "info", "filed": "primary", "order_issued": "primary", "order_refused": "danger",
    "served": "primary", "opposed": "danger", "invited": "primary", "agreed": "success", "declined": "secondary",
    "referred": "dark", "enforceable": "success", "enforcement": "dark", "paid": "success",
    "partly_paid": "info", "unenforceable": "danger", "lapsed": "danger",
}
STEP = {
    "proposed": _l("Route proposed"),
    "manager_approved": _l("Approved by the agency"),
    "client_approved": _l("Approved by the client"),
    "refused": _l("Refused by the client"),
    "withdrawn": _l("Withdrawn"),
    "pack_prepared": _l("File prepared"),
    "filed": _l("Request filed with the court"),
    "order_issued": _l("Order to pay issued"),
    "order_partly_granted": _l("Order to pay partly granted"),
    "order_refused": _l("Order to pay refused"),
    "served": _l("Order served on the debtor"),
    "opposition": _l("Opposition notified"),
    "enforceable": _l("Order enforceable (no opposition)"),
    "invitation_sent": _l("Debtor invited (small claims)"),
    "debtor_accepted": _l("Debtor accepted"),
    "debtor_declined": _l("Debtor declined or did not answer"),
    "title_issued": _l("Enforceable title issued"),
    "referred": _l("Handed to a lawyer or commissaire de justice"),
    "enforcement": _l("Handed for enforcement"),
    "enforcement_act": _l("Enforcement act"),
    "paid": _l("Paid"),
    "partly_paid": _l("Partly paid"),
    "unenforceable": _l("Declared unenforceable"),
    "lapsed": _l("Order lapsed (not served in time)"),
}
DEADLINE = {
    "serve_by": _l("Serve the order by"),
    "opposition_until": _l("Opposition possible until"),
    "enforceable_from": _l("Enforceable from"),
    "answer_by": _l("Debtor's answer due by"),
    "title_expires": _l("Title expires on"),
}
CLAIM_STATUS = {
    "prepared": _l("Declaration prepared, not sent"),
    "filed": _l("Declared to the mandataire"),
    "admitted": _l("Admitted"),
    "partly_admitted": _l("Partly admitted"),
    "disputed": _l("Claim disputed"),
    "rejected": _l("Claim rejected"),
    "dividend_paid": _l("Dividend received"),
}
