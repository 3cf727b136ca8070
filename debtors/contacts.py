"""Contact points as people read them."""

from __future__ import annotations

import phonenumbers

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from debtors.models import ContactPoint, ContactStatus


def format_phone(e164: str, home_region: str = "FR") -> str:
    """Show a stored E.164 number the way a collector dials it: national form at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    same_country = phonenumbers.region_code_for_number(number) == home_region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def opt_out(
    contact_point: ContactPoint, *, actor: User | None, source: str, actor_label: str | None = None
) -> bool:
    """Stop every message to this phone or address at once (STOP reply, unsubscribe link, request).

    Returns False when it was already opted out. The caller commits.
    """
    if contact_point.opted_out_at is not None:
        return False
    contact_point.opted_out_at = utcnow()
    audit.record(
        "contact_point.opted_out",
        actor=actor,
        actor_label=actor_label,
        subject=contact_point,
        after={"kind": contact_point.kind, "value": contact_point.value, "source": source},
    )
    return True


def add_contact_point(
    debtor, *, kind: str, source: str, actor: User | None, actor_label: str | None = None, **fields: str
) -> ContactPoint:
    """Add a phone, e-mail or address to the debtor, already checked by the caller; never replaces another.

    `source` says who gave it (placement, collector, debtor…). The caller commits.
    """
    point = ContactPoint(debtor=debtor, kind=kind, source=source, **fields)
    db.session.add(point)
    db.session.flush()
    audit.record("contact_point.added", actor=actor, actor_label=actor_label, subject=point,
                 after={"debtor_id": debtor.id, "kind": kind, "source": source, **fields})
    return point


def mark_wrong(contact_point: ContactPoint, *, actor: User | None, reason: str = "") -> None:
    """Mark a phone or address as not the debtor's (wrong number): it is no longer offered or used."""
    before, after = audit.changes(contact_point, status=ContactStatus.WRONG.value)
    if after:
        audit.record(
            "contact_point.marked_wrong",
            actor=actor,
            subject=contact_point,
            before=before,
            after=after | ({"reason": reason} if reason else {}),
        )
