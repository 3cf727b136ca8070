"""What case statuses, kinds and ledger lines are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

STATUS = {
    "new": _l("New"),
    "active": _l("In progress"),
    "promise": _l("Promise to pay"),
    "plan": _l("Payment plan"),
    "dispute": _l("Disputed"),
    "hold": _l("On hold"),
    "escalated": _l("In litigation"),
    "paid": _l("Paid"),
    "closed": _l("Closed unpaid"),
}
STATUS_COLOR = {
    "new": "secondary",
    "active": "primary",
    "promise": "info",
    "plan": "info",
    "dispute": "warning",
    "hold": "warning",
    "escalated": "dark",
    "paid": "success",
    "closed": "light",
}
KIND = {"b2b": _l("Business"), "b2c": _l("Consumer")}
ACTION = {
    "call": _l("Call"),
    "sms": _l("SMS"),
    "email": _l("E-mail"),
    "letter": _l("Letter"),
    "formal_notice": _l("Formal notice"),
    "note": _l("Note"),
}
OUTCOME = {
    "no_answer": _l("No answer"),
    "voicemail": _l("Voicemail"),
    "wrong_number": _l("Wrong number"),
    "right_party": _l("Right party contacted"),
    "third_party": _l("Third party"),
    "refused": _l("Refused to pay"),
    "promise": _l("Promise"),
    "dispute": _l("Dispute"),
    "callback": _l("Callback requested"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "sending": _l("Being sent"),
    "outbox": _l("Not sent (outbox)"),
    "received": _l("Received"),
    "opted_out": _l("STOP: opted out"),
}
ENTRY = {
    "principal": _l("Principal"),
    "interest": _l("Interest"),
    "indemnity": _l("Recovery indemnity"),
    "cost": _l("Costs"),
    "payment": _l("Payment"),
    "credit_note": _l("Credit note"),
    "write_off": _l("Write-off"),
    "reversal": _l("Reversal"),
}
PLACEMENT = {
    "mapping": _l("columns to map"),
    "validating": _l("checking"),
    "validated": _l("to confirm"),
    "importing": _l("importing"),
    "imported": _l("imported"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
}
PROMISE = {
    "pending": _l("Pending"),
    "kept": _l("Kept"),
    "partly_kept": _l("Partly kept"),
    "broken": _l("Broken"),
    "cancelled": _l("Cancelled"),
}


# Why a message failed (the action's reason), in the history.
FAILURE = {
    "provider_unavailable": _l("the provider did not answer"),
    "send_failed": _l("refused by the provider"),
    "undelivered": _l("not delivered"),
}


def as_context() -> dict:
    """Return the labels for templates."""
    return {
        "case_labels": {
            "status": STATUS,
            "status_color": STATUS_COLOR,
            "kind": KIND,
            "action": ACTION,
            "outcome": OUTCOME,
            "failure": FAILURE,
            "entry": ENTRY,
            "promise": PROMISE,
            "placement": PLACEMENT,
        }
    }
