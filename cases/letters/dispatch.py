"""What happens to an issued letter after the platform generated it: printed, then sent by post.

A generated PDF is not yet a letter the debtor received: the collector says when it was printed and
when it went out. Each mark is audited; a mark is never taken back (a letter sent stays sent).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from agency import audit
from agency.db import utcnow
from agency.models import User
from cases.models import Letter, LetterStatus

MARKS = ("printed", "sent")


class DispatchError(ValueError):
    """A mark refused, with the reason to show."""


def dispatch_state(letter: Letter) -> str:
    """Return where an issued letter stands: "sent", "printed" or "generated" (other statuses: their own)."""
    if letter.status != LetterStatus.ISSUED.value:
        return letter.status
    if letter.sent_at is not None:
        return "sent"
    return "printed" if letter.printed_at is not None else "generated"


def mark_letter(letter: Letter, mark: str, *, actor: User, now: datetime | None = None) -> None:
    """Mark an issued letter printed or sent (sent implies printed); audited, never undone."""
    if mark not in MARKS:
        raise DispatchError(_("Unknown mark: choose printed or sent."))
    if letter.status != LetterStatus.ISSUED.value:
        raise DispatchError(_("Only a generated letter can be marked printed or sent."))
    if letter.sent_at is not None or (mark == "printed" and letter.printed_at is not None):
        raise DispatchError(_("Letter %(reference)s is already marked %(state)s.", reference=letter.reference,
                              state=_("sent") if letter.sent_at else _("printed")))
    now = now or utcnow()
    changes = {"sent_at": now} if mark == "sent" else {"printed_at": now}
    if mark == "sent" and letter.printed_at is None:
        changes["printed_at"] = now
    before, after = audit.changes(letter, **changes)
    audit.record(f"letter.{mark}", actor=actor, subject=letter, before=before,
                 after=after | {"case_id": letter.case_id, "reference": letter.reference})
