"""Attaching files to a case or a debtor, and reading them back within the user's scope.

A file is accepted for what its bytes are (the judicial file's check: PDF, PNG, JPEG, Word, Excel, PowerPoint,
OpenDocument), never for its name, and its size is bounded while it is read. It is stored through the storage
seam before its row is added, so a refused or failed upload leaves neither a row nor an audit event. A debtor's own
files (shared by every client whose cases they owe) are for staff only.
"""

from __future__ import annotations

from typing import IO

import sqlalchemy as sa
from flask import abort, current_app
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.auth import STAFF, tenant_clause
from agency.db import db, utcnow
from agency.models import Role, User
from agency.storage import store_document
from cases.judicial.documents import ACCEPTED, FileType, file_type, megabytes, read_bounded
from cases.models import Case
from cases.models.attachments import Attachment, DebtorAttachment
from debtors.models import Debtor

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class AttachmentError(ValueError):
    """An upload refused, with the form field it concerns."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_megabytes() -> str:
    return megabytes(max_bytes())


def _checked_file(stream: IO[bytes], filename: str) -> tuple[bytes, FileType, str]:
    """Read an upload within the size limit and judge it by its bytes; return them, their type and a name."""
    limit = max_bytes()
    data = read_bounded(stream, limit)
    if data is None:
        raise AttachmentError(str(_l("The file is larger than %(size)s MB.", size=megabytes(limit))))
    if not data:
        raise AttachmentError(str(_l("The file is empty.")))
    detected = file_type(data)
    if detected is None:
        raise AttachmentError(str(_l("This file is not a document the case accepts (%(kinds)s), whatever its "
                                     "name says.", kinds=ACCEPTED)))
    return data, detected, filename.replace("\x00", "").strip()[-200:] or f"document{detected.suffix}"


def add_attachment(case: Case, stream: IO[bytes], filename: str, *, visible_to_client: bool,
                   actor: User) -> Attachment:
    """Store an uploaded file on `case` after checking what it is and its size. Not committed."""
    data, detected, name = _checked_file(stream, filename)
    if Role(actor.role) is Role.CLIENT:
        visible_to_client = True  # the client's own file, on its own case
    stored = store_document(data, f"attachments/{case.reference}", "piece", detected.suffix)
    row = Attachment(case_id=case.id, client_id=case.client_id, filename=name, media_type=detected.media_type,
                     file_path=stored.path, sha256=stored.sha256, size_bytes=stored.size_bytes,
                     visible_to_client=visible_to_client, created_at=utcnow(), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("case.attachment_added", actor=actor, subject=case, client_id=case.client_id,
                 after={"attachment": row.id, "filename": name, "media_type": detected.media_type,
                        "sha256": stored.sha256, "size": stored.size_bytes, "visible_to_client": visible_to_client})
    return row


def add_debtor_attachment(debtor: Debtor, stream: IO[bytes], filename: str, *, actor: User) -> DebtorAttachment:
    """Store an uploaded file about `debtor` (staff only), checked as a case's are. Not committed."""
    if Role(actor.role) not in STAFF:
        raise AttachmentError(str(_l("Only the agency's staff attach files to a debtor.")))
    data, detected, name = _checked_file(stream, filename)
    stored = store_document(data, f"attachments/debtors/{debtor.id}", "piece", detected.suffix)
    row = DebtorAttachment(debtor_id=debtor.id, filename=name, media_type=detected.media_type, file_path=stored.path,
                           sha256=stored.sha256, size_bytes=stored.size_bytes, created_at=utcnow(),
                           created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("debtor.attachment_added", actor=actor, subject=debtor,
                 after={"attachment": row.id, "filename": name, "media_type": detected.media_type,
                        "sha256": stored.sha256, "size": stored.size_bytes})
    return row


def debtor_attachments_of(debtor: Debtor) -> list[DebtorAttachment]:
    """The debtor's own attachments, newest first (staff pages only)."""
    return list(db.session.scalars(sa.select(DebtorAttachment).where(DebtorAttachment.debtor_id == debtor.id)
                                   .order_by(DebtorAttachment.id.desc())))


def set_visibility(attachment: Attachment, visible: bool, *, actor: User) -> None:
    """Show an attachment to the client or take it back (staff only). Not committed."""
    if attachment.visible_to_client == visible:
        return
    before = attachment.visible_to_client
    attachment.visible_to_client = visible
    audit.record("case.attachment_visibility", actor=actor, subject=attachment.case, client_id=attachment.client_id,
                 before={"attachment": attachment.id, "visible_to_client": before},
                 after={"attachment": attachment.id, "visible_to_client": visible})


def _visible(user: User) -> sa.ColumnElement[bool]:
    clause = tenant_clause(Attachment, user)
    if Role(user.role) is Role.CLIENT:
        clause = sa.and_(clause, Attachment.visible_to_client.is_(True))
    return clause


def attachments_of(case: Case, user: User) -> list[Attachment]:
    """The case's attachments the user may see, newest first."""
    return list(db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id, _visible(user))
                                   .order_by(Attachment.id.desc())))


def get_attachment_or_404(attachment_id: int, user: User) -> Attachment:
    """Load one attachment the user may see, or answer 404 (another client's, or an internal one for a client)."""
    row = db.session.scalar(sa.select(Attachment).where(Attachment.id == attachment_id, _visible(user)))
    if row is None:
        abort(404)
    return row
