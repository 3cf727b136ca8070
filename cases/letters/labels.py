"""What letter kinds and statuses are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

KIND = {
    "first_notice": _l("First notice"),
    "reminder": _l("Reminder letter"),
    "formal_notice": _l("Formal notice"),
}
STATUS = {
    "pending_approval": _l("Awaiting approval"),
    "issued": _l("Sent"),
    "rejected": _l("Not approved"),
    "cancelled": _l("Withdrawn"),
}
STATUS_COLOR = {"pending_approval": "warning", "issued": "success", "rejected": "secondary", "cancelled": "light"}
