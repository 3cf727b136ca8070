"""A debtor disputes or explains from their space, through the staff's operations: `open_dispute`, the callback
of `cases.work.calls`, a note in the case's history.

- A dispute (the case, or one invoice) with a reason from a list and the debtor's words holds the case as every
  dispute does (`open_dispute`: the hold, the promises stopped, the client told); its documents are kept.
- A payment the debtor says they made, with its proof, is a note for the collector, the case due in the queue:
  money is recorded only once it is seen on the account (staff's `record_payment`), never on a declaration.
- A callback is asked at a time the contact rules allow (`check_callback`, in the debtor's time zone): another
  time is refused with the rules' own words; the case comes up in the queue at that time.
- A hardship (job loss, illness…) is a note for the collector, the case due now, and a task for the case's
  collector (`create_rule_task`, one while it is open).

Files are judged by their bytes, never their name (`cases.judicial.documents.file_type`, here only PDF, PNG or
JPEG), their size while read; a refused file writes nothing — neither the file, nor the dispute, nor the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.db import db, utcnow
from agency.money import format_money
from cases.judicial.documents import JPEG, PDF, PNG, file_type, megabytes, read_bounded
from cases.letters.storage import store_document
from cases.models import Case, Claim
from cases.models.space_links import SpaceDocument, SpaceDocumentKind
from cases.notes.tasks import create_rule_task
from cases.work import WorkError
from cases.work.calls import set_callback
from cases.work.disputes import open_dispute
from debtor_space.proposals import DEBTOR, to_the_collector
from debtors.compliance import zone

ACCEPTED = (PDF, PNG, JPEG)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DISPUTE_REASONS = {
    "not_owed": _l("I do not owe this sum"),
    "already_paid": _l("I have already paid"),
    "amount_wrong": _l("The amount is wrong"),
    "not_received": _l("I did not receive the goods or the service"),
    "defective": _l("The goods or the service were faulty"),
    "not_me": _l("This is not me"),
    "other": _l("Another reason"),
}
PAYMENT_METHODS = {
    "transfer": _l("Bank transfer"), "cheque": _l("Cheque"), "card": _l("Card"), "cash": _l("Cash"),
    "to_creditor": _l("Paid to the creditor directly"),
}
HARDSHIPS = {
    "job_loss": _l("Loss of my job"), "illness": _l("Illness or accident"), "separation": _l("Separation or death"),
    "income_drop": _l("Lower income"), "other": _l("Another difficulty"),
}


@dataclass(frozen=True)
class Upload:
    stream: IO[bytes]
    filename: str


def max_bytes() -> int:
    return int(current_app.config.get("SPACE_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def checked_file(upload: Upload | None, field: str, *, required: bool) -> tuple[bytes, str, object] | None:
    """Read and judge an upload before anything is written; raise WorkError naming `field`."""
    if upload is None or not upload.filename:
        if required:
            raise WorkError(_("Attach the document (PDF, JPEG or PNG)."), field)
        return None
    data = read_bounded(upload.stream, max_bytes())
    if data is None:
        raise WorkError(_("The file is larger than %(size)s MB.", size=megabytes(max_bytes())), field)
    if not data:
        raise WorkError(_("The file is empty."), field)
    kind = file_type(data)
    if kind not in ACCEPTED:
        raise WorkError(_("This file is not a PDF, JPEG or PNG document, whatever its name says."), field)
    return data, upload.filename.strip()[-200:], kind


def _keep(case: Case, checked, kind: SpaceDocumentKind, **links) -> SpaceDocument:
    data, name, detected = checked
    stored = store_document(data, f"space/{case.reference}", kind.value, detected.suffix)
    document = SpaceDocument(case_id=case.id, client_id=case.client_id, kind=kind.value, filename=name,
                             media_type=detected.media_type, file_path=stored.path, sha256=stored.sha256,
                             size_bytes=stored.size_bytes, **links)
    db.session.add(document)
    db.session.flush()
    audit.record("space.document_added", actor=None, actor_label=DEBTOR, subject=document, client_id=case.client_id,
                 after={"case_id": case.id, "kind": kind.value, "filename": name, "media_type": detected.media_type,
                        "sha256": stored.sha256, "size": stored.size_bytes})
    return document


def _named(document: SpaceDocument | None) -> str:
    return f" [{document.filename}, SHA-256 {document.sha256[:12]}…]" if document else ""


def dispute(case: Case, *, reason: str, text: str, claim: Claim | None, upload: Upload | None):
    """Open a dispute on the case (or one of its invoices) with the debtor's reason, text and document."""
    if reason not in DISPUTE_REASONS:
        raise WorkError(_("Choose a reason."), "reason")
    if claim is not None and claim.case_id != case.id:
        raise WorkError(_("Choose one of this file's invoices."), "claim")
    checked = checked_file(upload, "document", required=False)
    about = _("invoice %(number)s", number=claim.invoice_number) if claim else _("the whole file")
    words = f"{DISPUTE_REASONS[reason]} ({about}). {text.strip()}".strip()
    hold = open_dispute(case, actor=None, reason=words)
    action = to_the_collector(case, _("The debtor disputes from their space: %(words)s", words=words), due=False)
    document = _keep(case, checked, SpaceDocumentKind.DISPUTE, hold_id=hold.id, action_id=action.id) if checked else None
    if document:
        action.note += _named(document)
    return hold


def declare_payment(case: Case, *, amount_cents: int, paid_on: date, method: str, upload: Upload | None):
    """Note a payment the debtor says they made, with its proof, for the collector to find and record."""
    if method not in PAYMENT_METHODS:
        raise WorkError(_("Choose how you paid."), "method")
    checked = checked_file(upload, "proof", required=True)
    money = format_money(amount_cents, case.currency)
    action = to_the_collector(case, _("The debtor declares from their space a payment of %(amount)s on %(date)s "
                                      "(%(method)s): check it on the account and record it.", amount=money,
                                      date=paid_on.isoformat(), method=PAYMENT_METHODS[method]))
    document = _keep(case, checked, SpaceDocumentKind.PAYMENT_PROOF, action_id=action.id)
    action.note += _named(document)
    return action


def local_to_utc(case: Case, local: datetime) -> datetime:
    """Read a time typed on the debtor's own clock (their time zone on file)."""
    return local.replace(tzinfo=zone(case.debtor.timezone)).astimezone(zone("UTC"))


def ask_callback(case: Case, *, local_time: datetime, note: str):
    """Ask to be called back at a time the contact rules allow; the case comes up in the queue then."""
    when = local_to_utc(case, local_time)
    set_callback(case, when, actor=None, now=utcnow())  # refuses a time outside the rules, in their words
    return to_the_collector(case, _("The debtor asks from their space to be called back on %(when)s. %(note)s",
                                    when=local_time.strftime("%Y-%m-%d %H:%M"), note=note.strip()).strip(), due=False)


def state_hardship(case: Case, *, kind: str, text: str):
    """Tell the collector about a hardship the debtor is going through; the case is due now."""
    if kind not in HARDSHIPS:
        raise WorkError(_("Choose what you are going through."), "kind")
    words = _("The debtor reports a hardship from their space: %(kind)s. %(text)s", kind=HARDSHIPS[kind],
              text=text.strip()).strip()
    action = to_the_collector(case, words)
    create_rule_task(case, "hardship", detail=words)
    return action
