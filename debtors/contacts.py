"""Contact points: how people read them, and how staff add, correct and mark them.

A contact point is never edited in place: a correction is a new point (its source and the day it was learned kept
with it) that replaces the old one, which stays as it was, marked inactive and pointing to its successor; both are
in the audit event. Every value is checked as a placement's are (`debtors.contact_values`), address lines held to
what a window envelope shows.
"""

from __future__ import annotations

from datetime import date

import phonenumbers
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.models import User
from debtors.contact_values import Invalid, parse_email, parse_phone, parse_postcode, window_line
from debtors.models import ContactKind, ContactPoint, ContactSource, ContactStatus, Debtor


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
    before, after = audit.changes(contact_point, status=ContactStatus.WRONG.value, is_primary=False)
    if after:
        audit.record(
            "contact_point.marked_wrong",
            actor=actor,
            subject=contact_point,
            before=before,
            after=after | ({"reason": reason} if reason else {}),
        )


class ContactError(ValueError):
    """Contact details refused: `errors` maps each form field to the reason, shown under it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


# What a point's fields are, per kind: compared to find a point already on file, shown in the audit trail.
FIELDS = {
    ContactKind.PHONE.value: ("value",),
    ContactKind.EMAIL.value: ("value",),
    ContactKind.ADDRESS.value: ("name_line", "address_line1", "address_line2", "postcode", "city", "country"),
}


def home_country(debtor: Debtor) -> str:
    """The country a national phone number is read in: that of the debtor's address on file, France by default."""
    return next((p.country for p in debtor.contact_points if p.kind == ContactKind.ADDRESS and p.country), "FR")


def check_phone(debtor: Debtor, number: str) -> dict[str, str]:
    """Return the fields of a phone number typed in national or international form, or raise `ContactError`."""
    try:
        return {"value": parse_phone(number.strip(), home_country(debtor))}
    except Invalid:
        raise ContactError({"number": _("Phone number: not a valid number, for example 06 12 34 56 78 or "
                                        "+32 470 12 34 56.")}) from None


def check_email(address: str) -> dict[str, str]:
    """Return the fields of an e-mail address checked for its syntax, or raise `ContactError`."""
    try:
        return {"value": parse_email(address.strip())}
    except Invalid:
        raise ContactError({"address": _("E-mail address: not a valid address, for example "
                                         "jeanne.martin@exemple.fr.")}) from None


def check_address(*, name_line: str, line1: str, line2: str, postcode: str, city: str, country: str) -> dict[str, str]:
    """Return the fields of a postal address, each line fit for a window envelope, or raise `ContactError`."""
    errors, fields = {}, {"country": (country or "FR").strip().upper()}
    for field, column, text, required in (("name_line", "name_line", name_line, False),
                                          ("line1", "address_line1", line1, True),
                                          ("line2", "address_line2", line2, False), ("city", "city", city, True)):
        try:
            fields[column] = window_line(text)
        except Invalid:
            errors[field] = _("At most 38 characters a line, so that it shows in the window of the envelope "
                              "(%(count)d here).", count=len(" ".join(text.split())))
            continue
        if required and not fields[column]:
            errors[field] = _("Number and street are required.") if field == "line1" else _("The town is required.")
    try:
        fields["postcode"] = parse_postcode(postcode, fields["country"])
    except Invalid:
        errors["postcode"] = (_("A French postcode has five digits, for example 69003.") if fields["country"] == "FR"
                              else _("Give the postcode."))
    if "postcode" in fields and "city" in fields and len(f"{fields['postcode']} {fields['city']}") > 38:
        errors["city"] = _("The postcode and the town share one line of at most 38 characters: shorten the town.")
    if errors:
        raise ContactError(errors)
    return fields


def record_contact_point(debtor: Debtor, kind: str, fields: dict[str, str], *, source: str, learned_on: date | None,
                         actor: User, label: str = "", replaces: ContactPoint | None = None) -> ContactPoint:
    """Add a checked phone, e-mail or address given by `source` on `learned_on`, perhaps correcting `replaces`.

    A correction keeps the old point as it was, inactive and pointing to the new one, which takes over its
    preference. Nothing is written when refused. The caller commits.
    """
    errors = _source_errors(source, learned_on)
    main = "number" if kind == ContactKind.PHONE else "address" if kind == ContactKind.EMAIL else "line1"
    if replaces is not None and not _replaceable(debtor, kind, replaces):
        errors[main] = _("This contact point was already replaced or is not this debtor’s.")
    elif replaces is not None and _key(replaces) == _key_of(kind, fields):
        errors[main] = _("Nothing to correct: these are the details on file.")
    elif (known := _on_file(debtor, kind, fields)) is not None and known is not replaces:
        errors[main] = _("Already on file (%(status)s).", status=_status_word(known))
    if errors:
        raise ContactError(errors)
    point = add_contact_point(debtor, kind=kind, source=source, actor=actor, label=label.strip()[:20],
                              learned_on=learned_on, **fields)
    if replaces is not None:
        _supersede(replaces, point, actor=actor)
    return point


def _source_errors(source: str, learned_on: date | None) -> dict[str, str]:
    errors = {}
    if source not in {s.value for s in ContactSource}:
        errors["source"] = _("Choose where the details come from.")
    if learned_on is None:
        errors["learned_on"] = _("Give the day the details were learned.")
    elif learned_on > today():
        errors["learned_on"] = _("The day the details were learned cannot be in the future.")
    return errors


def _replaceable(debtor: Debtor, kind: str, point: ContactPoint) -> bool:
    return point.debtor_id == debtor.id and point.kind == kind and point.superseded_by_id is None


def _key(point: ContactPoint) -> tuple:
    return tuple(str(getattr(point, name) or "").casefold() for name in FIELDS[point.kind])


def _key_of(kind: str, fields: dict[str, str]) -> tuple:
    return tuple(str(fields.get(name) or "").casefold() for name in FIELDS[kind])


def _on_file(debtor: Debtor, kind: str, fields: dict[str, str]) -> ContactPoint | None:
    key = _key_of(kind, fields)
    return next((p for p in debtor.contact_points if p.kind == kind and _key(p) == key), None)


def _status_word(point: ContactPoint) -> str:
    if point.superseded_by_id is not None:
        return _("replaced by a correction")
    if point.opted_out_at is not None:
        return _("opted out")
    if point.status == ContactStatus.RETURNED and point.kind == ContactKind.ADDRESS:
        return _("a letter came back from it")
    if point.status == ContactStatus.WRONG:
        return _("marked wrong")
    return _("in use")


def _supersede(old: ContactPoint, new: ContactPoint, *, actor: User) -> None:
    new.is_primary = old.is_primary
    before = {name: getattr(old, name) for name in FIELDS[old.kind]} | {"contact_point": old.id, "status": old.status}
    old.status, old.superseded_by_id, old.is_primary = ContactStatus.SUPERSEDED.value, new.id, False
    audit.record("contact_point.corrected", actor=actor, subject=new, before=before,
                 after={name: getattr(new, name) for name in FIELDS[new.kind]}
                 | {"contact_point": new.id, "debtor_id": new.debtor_id, "source": new.source,
                    "learned_on": new.learned_on})


def mark_preferred(point: ContactPoint, *, actor: User) -> None:
    """Make `point` the debtor's preferred one of its kind (only one a kind). The caller commits."""
    if not point.usable:
        raise ContactError({"contact_point": _("Only a contact point in use can be the preferred one.")})
    previous = next((p for p in point.debtor.contact_points
                     if p.kind == point.kind and p.is_primary and p is not point), None)
    if point.is_primary and previous is None:
        return
    for other in point.debtor.contact_points:
        if other.kind == point.kind and other is not point:
            other.is_primary = False
    point.is_primary = True
    audit.record("contact_point.preferred", actor=actor, subject=point,
                 before={"preferred": previous.id if previous else None},
                 after={"preferred": point.id, "debtor_id": point.debtor_id, "kind": point.kind})


def mark_returned(point: ContactPoint, *, returned_on: date, actor: User, letter: str = "") -> bool:
    """Mark a postal address as one letters come back from (NPAI): no letter goes to it any more.

    Returns False when it was already marked returned. The caller commits.
    """
    if point.kind != ContactKind.ADDRESS:
        raise ValueError("only a postal address is returned by La Poste")
    if point.status == ContactStatus.RETURNED:
        return False
    before, after = audit.changes(point, status=ContactStatus.RETURNED.value, returned_on=returned_on,
                                  is_primary=False)
    audit.record("contact_point.returned", actor=actor, subject=point, before=before,
                 after=after | {"debtor_id": point.debtor_id} | ({"letter": letter} if letter else {}))
    return True
