"""E-mails of cases: sending from templates, each with an opt-out line and a signed unsubscribe link."""

from __future__ import annotations

import sqlalchemy as sa

from agency.db import db
from agency.mail import send_email
from agency.message_models import EmailMessage
from agency.models import AgencyProfile, User
from cases.messaging.links import unsubscribe_url
from cases.messaging.sending import send_case_message
from cases.messaging.templates import RenderedMessage
from cases.models import Action, Case
from debtors.contacts import opt_out
from debtors.models import ContactKind, ContactPoint


def send_case_email(
    case: Case,
    template: str,
    *,
    actor: User | None,
    contact_point: ContactPoint | None = None,
    strategy_step: int | None = None,
    extra: dict | None = None,
) -> Action:
    """Send the e-mail `template` to the case's debtor if the contact rules allow it, else record it blocked.

    Without `contact_point`, the first allowed address is used. Once per `strategy_step`. The caller commits.
    """
    return send_case_message(
        case, "email", template, actor=actor, contact_point=contact_point, strategy_step=strategy_step,
        deliver=_deliver, extra=extra,
    )


def _deliver(point: ContactPoint, message: RenderedMessage) -> EmailMessage:
    reply_to = db.session.scalar(sa.select(AgencyProfile.email).where(AgencyProfile.id == 1)) or None
    # Mail programs show their own "unsubscribe" button from this header (RFC 2369).
    headers = {"List-Unsubscribe": f"<{unsubscribe_url(point.id)}>"}
    return send_email(point.value, message.subject, message.body, reply_to=reply_to, headers=headers)


def unsubscribe(contact_point: ContactPoint) -> int:
    """Stop e-mails to this address, for every debtor who has it; return how many points were opted out."""
    if contact_point.kind != ContactKind.EMAIL:
        raise ValueError("only an e-mail address is unsubscribed by link")
    same = db.session.scalars(
        sa.select(ContactPoint).where(
            ContactPoint.kind == ContactKind.EMAIL,
            ContactPoint.value.in_({contact_point.value, contact_point.value.lower()}),
        )
    ).all()
    label = contact_point.value
    return sum(opt_out(point, actor=None, source="unsubscribe_link", actor_label=label) for point in same)
