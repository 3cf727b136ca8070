"""What plan and instalment statuses are called on screen (translated), and their colours."""

from flask_babel import lazy_gettext as _l

STATUS = {
    "awaiting_agency": _l("Proposed by the debtor"),
    "awaiting_client": _l("Awaiting the client"),
    "active": _l("Running"),
    "completed": _l("Completed"),
    "broken": _l("Broken"),
    "refused": _l("Refused"),
    "cancelled": _l("Cancelled"),
}
STATUS_COLOR = {
    "awaiting_agency": "warning",
    "awaiting_client": "warning",
    "active": "info",
    "completed": "success",
    "broken": "danger",
    "refused": "secondary",
    "cancelled": "light",
}
INSTALMENT = {"pending": _l("To come"), "paid": _l("Paid"), "late": _l("Late"), "missed": _l("Missed")}
INSTALMENT_COLOR = {"pending": "light", "paid": "success", "late": "warning", "missed": "danger"}
