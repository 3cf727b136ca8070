"""The case's history as the case screen tells it: every action, and for staff the money and plan events too.

The actions come from `cases.actions.case_history` (which decides what a client user sees); staff also
read, in the same list and newest first, what other packages tell of the case (`money`: each payment,
each reversal and each step of a payment plan, through `cases.extensions`). A letter's line names its
kind, its reference and, for a formal notice, the manager who approved it. Notes are lines too: a client user
reads those shown to the client, staff every note not hidden; staff also read when each task was set and closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agency.db import db
from agency.models import User
from cases import extensions
from cases.models import Action, Case, Letter
from cases.models.notes import Note, Task


@dataclass(frozen=True)
class Event:
    """One line of the history: an action, or another package's event drawn by its own `template`."""

    at: datetime
    kind: str  # "action", or the other package's kind ("payment", "reversal", "plan_proposed"…)
    action: Action | None = None
    letter: Letter | None = None
    subject: Any = None  # what the other package's event is about (a payment, a plan)
    template: str | None = None  # the line of another package's event; it receives `event`
    user: User | None = None
    body: str | None = None  # a text shown under the line (a note's)


def timeline(case: Case, actions: list[Action], *, internal: bool) -> list[Event]:
    """Return the history lines of `case`, newest first: `actions`, and the other packages' events for staff."""
    letter_ids = {a.letter_id for a in actions if a.letter_id}
    letters = {
        letter.id: letter
        for letter in db.session.scalars(sa.select(Letter).where(Letter.id.in_(letter_ids)))
    } if letter_ids else {}
    events = [
        Event(_action_time(a), "action", action=a, letter=letters.get(a.letter_id), user=a.user) for a in actions
    ]
    events += _notes(case, internal=internal)
    if internal:
        events += _tasks(case)
        for source in extensions.history_sources():
            events += source(case)
    return sorted(events, key=lambda e: e.at, reverse=True)


def _action_time(action: Action) -> datetime:
    return action.done_at or action.scheduled_at or action.created_at


def _notes(case: Case, *, internal: bool) -> list[Event]:
    query = sa.select(Note).where(Note.case_id == case.id, Note.hidden_at.is_(None))
    if not internal:
        query = query.where(Note.visible_to_client.is_(True))
    return [Event(note.created_at, "note", subject=note, template="cases/notes/_history_note.html",
                  user=note.created_by, body=note.body) for note in db.session.scalars(query)]


def _tasks(case: Case) -> list[Event]:
    events = []
    for task in db.session.scalars(sa.select(Task).where(Task.case_id == case.id)):
        events.append(Event(task.created_at, "task", subject=task, template="cases/notes/_history_task.html",
                            user=task.created_by))
        if task.closed_at:
            events.append(Event(task.closed_at, f"task_{task.status}", subject=task,
                                template="cases/notes/_history_task.html", user=task.closed_by))
    return events
