"""Letters La Poste brings back ("n'habite pas à l'adresse indiquée", NPAI), and the cases that need a new address.

`record_returned` marks the letter and the address it was sent to: no letter goes there any more, since letters
go only to a usable address (`documents.postal_address`). A case is in the "find a new address" list while it is
open, one of its letters came back and its debtor has no usable address; a new address takes it off at once,
whoever adds it (staff, the debtor, a placement), because the list is read from the contact points themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db
from agency.models import Client, User
from cases.models import SENT_STATUSES, Case, CaseStatus, Letter, LetterStatus
from cases.notes.tasks import create_rule_task
from debtors.contacts import mark_returned
from debtors.models import ContactKind, ContactPoint, Debtor

PAGE_SIZE = 50


class ReturnedError(ValueError):
    """A return refused, with the reason to show."""


def record_returned(letter: Letter, *, returned_on: date, actor: User) -> Letter:
    """Record that `letter` came back on `returned_on`: the letter and its address are marked. Not committed."""
    printed = letter.status == LetterStatus.RECORDED.value or letter.printed_at is not None
    if letter.status not in SENT_STATUSES or letter.issued_on is None or not printed:
        raise ReturnedError(_("Only a letter that was printed and sent can come back."))
    if letter.returned_on is not None:
        raise ReturnedError(_("Letter %(reference)s is already recorded as returned on %(date)s.",
                              reference=letter.reference, date=letter.returned_on.strftime("%d/%m/%Y")))
    if returned_on > today() or returned_on < letter.issued_on:
        raise ReturnedError(_("The day it came back must be between the day it was sent and today."))
    letter.returned_on, letter.returned_by_id = returned_on, actor.id
    address = _address_of(letter)
    if address is not None:
        mark_returned(address, returned_on=returned_on, actor=actor, letter=letter.reference)
    audit.record("letter.returned", actor=actor, subject=letter, client_id=letter.client_id,
                 after={"case_id": letter.case_id, "reference": letter.reference, "returned_on": returned_on,
                        "contact_point": address.id if address else None})
    if not _has_usable_address(letter.case.debtor_id):
        # Someone must look for the debtor now: the case's collector (or team) gets the research as a task.
        create_rule_task(letter.case, "returned_letter",
                         detail=_("Letter %(reference)s came back on %(date)s.", reference=letter.reference,
                                  date=returned_on.strftime("%d/%m/%Y")))
    return letter


def _has_usable_address(debtor_id: int) -> bool:
    db.session.flush()  # the address just marked returned
    return db.session.scalar(sa.select(sa.exists().where(
        ContactPoint.debtor_id == debtor_id, ContactPoint.kind == ContactKind.ADDRESS.value,
        ContactPoint.usable_clause())))


def _address_of(letter: Letter) -> ContactPoint | None:
    """The address printed in the letter's window, as recorded when it was issued."""
    point_id = (letter.recipient or {}).get("contact_point_id")
    if point_id is None:
        return None
    return db.session.scalar(sa.select(ContactPoint).where(
        ContactPoint.id == point_id, ContactPoint.debtor_id == letter.case.debtor_id,
        ContactPoint.kind == ContactKind.ADDRESS.value))


@dataclass(frozen=True)
class AddressSearch:
    """One case of the "find a new address" list."""

    case_id: int
    reference: str
    debtor_id: int
    debtor_name: str
    client_name: str
    returned_on: date


def _returned_by_case() -> sa.Subquery:
    """Each open case with a returned letter whose debtor has no usable address, with its latest return."""
    usable = sa.select(ContactPoint.id).where(ContactPoint.debtor_id == Case.debtor_id,
                                              ContactPoint.kind == ContactKind.ADDRESS.value,
                                              ContactPoint.usable_clause())
    return (sa.select(Letter.case_id, sa.func.max(Letter.returned_on).label("returned_on"))
            .join(Case, Case.id == Letter.case_id)
            .where(Letter.returned_on.is_not(None),
                   Case.status.not_in([CaseStatus.PAID.value, CaseStatus.CLOSED.value]), ~usable.exists())
            .group_by(Letter.case_id).subquery())


def cases_to_find(*, before: tuple[date, int] | None = None, limit: int = PAGE_SIZE) -> list[AddressSearch]:
    """The cases needing a new address, latest return first, a page at a time after the cursor `before`."""
    returned = _returned_by_case()
    query = (sa.select(Case.id, Case.reference, Debtor.id, Debtor.kind, Debtor.company_name, Debtor.title,
                       Debtor.first_name, Debtor.last_name, Client.name, returned.c.returned_on)
             .join(returned, returned.c.case_id == Case.id).join(Debtor, Debtor.id == Case.debtor_id)
             .join(Client, Client.id == Case.client_id)
             .order_by(returned.c.returned_on.desc(), Case.id.desc()).limit(limit))
    if before is not None:
        query = query.where(sa.tuple_(returned.c.returned_on, Case.id) < sa.tuple_(*before))
    return [AddressSearch(case_id, reference, debtor_id, Debtor.name_of(kind, company, title, first, last), client,
                          returned_on)
            for case_id, reference, debtor_id, kind, company, title, first, last, client, returned_on
            in db.session.execute(query)]
