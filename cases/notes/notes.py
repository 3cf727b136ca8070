"""Notes: written once, never edited (a correction is a new note), hidden by a manager with a reason.

A case's note is internal unless its author shows it to the client, who then reads it on its portal's case page
and in the case's history. A debtor's note is read on the debtor's page and on each of the debtor's cases, by
staff only: the debtor's cases may belong to several clients, and one client never learns of another's debt.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from agency import audit
from agency.auth import can, tenant_clause
from agency.db import db, utcnow
from agency.models import Role, User
from cases.models import Case
from cases.models.notes import NOTE_MAX_CHARS, Note
from cases.notes import NoteError
from debtors.models import Debtor

REASON_MAX_CHARS = 500


def _text(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise NoteError(_("Write the note."), "body")
    if len(body) > NOTE_MAX_CHARS:
        raise NoteError(_("A note holds at most %(count)d characters.", count=NOTE_MAX_CHARS), "body")
    return body


def add_case_note(case: Case, body: str, *, visible_to_client: bool, actor: User) -> Note:
    """Write a note on `case`, internal unless `visible_to_client`. Not committed."""
    note = Note(case_id=case.id, client_id=case.client_id, debtor_id=case.debtor_id, body=_text(body),
                visible_to_client=bool(visible_to_client), created_at=utcnow(), created_by_id=actor.id)
    db.session.add(note)
    db.session.flush()
    audit.record("note.added", actor=actor, subject=case, client_id=case.client_id,
                 after={"note": note.id, "visible_to_client": note.visible_to_client, "chars": len(note.body)})
    return note


def add_debtor_note(debtor: Debtor, body: str, *, actor: User) -> Note:
    """Write an internal note on `debtor`, read on each of their cases. Not committed."""
    note = Note(debtor_id=debtor.id, body=_text(body), visible_to_client=False, created_at=utcnow(),
                created_by_id=actor.id)
    db.session.add(note)
    db.session.flush()
    audit.record("note.added", actor=actor, subject=debtor, after={"note": note.id, "chars": len(note.body)})
    return note


def hide_note(note: Note, reason: str, *, actor: User) -> None:
    """Hide a note from every list with the reason why; the row and its text stay. Not committed."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise NoteError(_("Say why the note is hidden."), "reason")
    if len(reason) > REASON_MAX_CHARS:
        raise NoteError(_("The reason holds at most %(count)d characters.", count=REASON_MAX_CHARS), "reason")
    if note.hidden:
        raise NoteError(_("This note is already hidden."), "reason")
    note.hidden_at, note.hidden_by_id, note.hidden_reason = utcnow(), actor.id, reason
    subject = note.case if note.case_id else note.debtor
    audit.record("note.hidden", actor=actor, subject=subject, client_id=note.client_id,
                 before={"note": note.id, "hidden": False}, after={"note": note.id, "hidden": True, "reason": reason})


def _seen_by(user: User) -> sa.ColumnElement[bool]:
    clause = tenant_clause(Note, user)
    if Role(user.role) is Role.CLIENT:
        clause = sa.and_(clause, Note.visible_to_client.is_(True))
    if not can("notes.hide", user):
        clause = sa.and_(clause, Note.hidden_at.is_(None))  # those who hide notes still see what was hidden
    return clause


def notes_of_case(case: Case, user: User) -> list[Note]:
    """The notes the user may read on `case`, newest first: its own and, for staff, its debtor's."""
    about = Note.case_id == case.id
    if Role(user.role).is_staff:
        about = sa.or_(about, sa.and_(Note.debtor_id == case.debtor_id, Note.case_id.is_(None)))
    return list(db.session.scalars(sa.select(Note).where(about, _seen_by(user)).order_by(Note.id.desc())))


def notes_of_debtor(debtor: Debtor, user: User) -> list[Note]:
    """Every note on `debtor` and on their cases, newest first (staff only: the debtor's page)."""
    return list(db.session.scalars(sa.select(Note).where(Note.debtor_id == debtor.id, _seen_by(user))
                                   .order_by(Note.id.desc())))


def get_note_or_404(note_id: int, user: User) -> Note:
    """Load one note the user may read, or answer 404."""
    return db.session.scalar(sa.select(Note).where(Note.id == note_id, _seen_by(user))) or abort(404)
