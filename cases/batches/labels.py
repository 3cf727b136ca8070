"""What batch outcomes and reasons are called on screen (translated)."""

from flask_babel import lazy_gettext as _l

OUTCOME = {"done": _l("Done"), "skipped": _l("Skipped"), "failed": _l("In error")}
OUTCOME_COLOR = {"done": "success", "skipped": "warning", "failed": "danger"}
STATUS = {"queued": _l("Waiting"), "running": _l("Running"), "done": _l("Finished"), "failed": _l("Stopped")}
REASON = {
    "closed": _l("Case closed"),
    "unchanged": _l("Already there"),
    "target_gone": _l("Collector or pool gone"),
    "already_held": _l("Already on hold"),
    "hold_refused": _l("Hold refused"),
    "contact_rules": _l("Contact rules"),
    "letter_order": _l("Order of letters"),
    "letter_refused": _l("Letter refused"),
    "nothing_owed": _l("Nothing owed"),
    "template": _l("Template"),
    "send_failed": _l("Not sent"),
    "no_assignee": _l("Nobody to give it to"),
    "task_refused": _l("Task refused"),
    "not_found": _l("Not visible"),
    "error": _l("Error"),
}
