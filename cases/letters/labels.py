"""What letter kinds and statuses are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

KIND = {
    "first_notice": _l("First notice"),
    "reminder": _l("Reminder letter"),
    "formal_notice": _l("Formal notice"),
}
STATUS = {
    "pending_approval": _l("Awaiting approval"),
    "issued": _l("Generated"),  # until marked printed or sent (`cases.letters.dispatch`)
    "generated": _l("Generated"),
    "printed": _l("Printed"),
    "sent": _l("Sent"),
    "recorded": _l("Sent"),  # sent outside the platform: no document kept
    "rejected": _l("Not approved"),
    "cancelled": _l("Withdrawn"),
}
STATUS_COLOR = {"pending_approval": "warning", "issued": "info", "generated": "info", "printed": "primary",
                "sent": "success", "recorded": "success", "rejected": "secondary", "cancelled": "light"}
