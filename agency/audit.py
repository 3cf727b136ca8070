"""The audit trail: one append-only event per state change, contact attempt, money movement, login."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from agency.db import db
from agency.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    subject: Any = None,
    subject_type: str | None = None,
    client_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the change it describes)."""
    if subject is not None:
        subject_type = subject_type or subject.__tablename__
        client_id = client_id if client_id is not None else getattr(subject, "client_id", None)
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else "system"),
        subject_type=subject_type or "",
        subject_id=getattr(subject, "id", None),
        client_id=client_id,
        before=_jsonable(before),
        after=_jsonable(after),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def changes(row: Any, **new_values: Any) -> tuple[dict, dict]:
    """Set attributes on `row` and return the (before, after) values of those that changed."""
    before, after = {}, {}
    for name, value in new_values.items():
        old = getattr(row, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(row, name, value)
    return before, after


def _jsonable(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: v if isinstance(v, (str, int, bool, type(None))) else str(v) for k, v in values.items()}
