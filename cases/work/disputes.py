"""Disputes: the debtor contests the debt; collection on that case stops until a manager resolves it.

An open dispute is a `Hold` of kind `dispute` on the case (`case_id`): the contact rules read it and
refuse every contact on that case except about the dispute. The client is told when a dispute is
opened and when it is resolved, by e-mail, and sees it on the case in the portal. An upheld dispute
asks the client for its credit note or its decision (`cases.closing.credit_notes`): the case stays in
status `dispute`, uncontacted, until it answers.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from agency import audit
from agency.db import db, utcnow
from agency.mail import send_email
from agency.message_models import EmailMessage
from agency.models import AuditEvent, Role, User
from agency.page_reads import read_once
from cases.messaging.links import public_url
from cases.models import Action, Case, CaseStatus
from cases.models.recall import ClientDecision
from cases.work import WorkError
from cases.work.promises import cancel_pending
from debtors.models import Hold, HoldKind


class Decision(StrEnum):
    UPHELD = "upheld"  # the debtor is right: the case waits for the client's credit note or decision
    REJECTED = "rejected"  # the debt stands: collection resumes


@read_once(key=lambda case: case.id)
def open_dispute_of(case: Case) -> Hold | None:
    """Return the case's dispute still open, if any."""
    return db.session.scalar(
        sa.select(Hold).where(Hold.case_id == case.id, Hold.kind == HoldKind.DISPUTE.value, Hold.ended_at.is_(None))
    )


@read_once(key=lambda case: case.id)
def disputes_of(case: Case) -> list[Hold]:
    """Return every dispute of the case, the latest first."""
    return db.session.scalars(
        sa.select(Hold)
        .where(Hold.case_id == case.id, Hold.kind == HoldKind.DISPUTE.value)
        .order_by(Hold.started_at.desc(), Hold.id.desc())
    ).all()


def decision_of(hold: Hold) -> str:
    """Return the decision ("upheld" or "rejected") recorded when the dispute was resolved, else ""."""
    after = db.session.scalar(
        sa.select(AuditEvent.after)
        .where(
            AuditEvent.action == "dispute.resolved",
            AuditEvent.subject_type == Hold.__tablename__,
            AuditEvent.subject_id == hold.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return (after or {}).get("decision", "")


def open_dispute(case: Case, *, actor: User | None, reason: str, action: Action | None = None) -> Hold:
    """Put the case on hold for a dispute, stop its promises and its queue, and tell the client."""
    reason = reason.strip()
    if not reason:
        raise WorkError(_("Say what the debtor disputes."), "reason")
    if not CaseStatus(case.status).is_open:
        raise WorkError(_("A dispute can only be opened on an open case."))
    if open_dispute_of(case) is not None:
        raise WorkError(_("This case is already disputed."))
    hold = Hold(debtor_id=case.debtor_id, case_id=case.id, kind=HoldKind.DISPUTE.value, reason=reason,
                created_by_id=actor.id if actor else None)
    db.session.add(hold)
    db.session.flush()
    cancel_pending(case, actor=actor, reason="dispute")
    before, after = audit.changes(case, status=CaseStatus.DISPUTE.value, next_action_at=None, callback_at=None)
    emails = _tell_client(case, "dispute_opened", hold=hold)
    audit.record(
        "dispute.opened",
        actor=actor,
        subject=hold,
        client_id=case.client_id,
        before={"case_status": before.get("status", case.status)},
        after={"case_id": case.id, "reason": reason, "action_id": action.id if action else None,
               "emails": ",".join(str(e.id) for e in emails)},
    )
    return hold


def resolve_dispute(hold: Hold, *, actor: User | None, decision: str, resolution: str) -> None:
    """End the dispute with the manager's decision and text, and tell the client.

    Rejected, the case goes back to work; upheld, it waits on hold for the client's credit note or decision.
    """
    resolution = resolution.strip()
    if hold.kind != HoldKind.DISPUTE or hold.case_id is None:
        raise WorkError(_("This hold is not a dispute."))
    if hold.ended_at is not None:
        raise WorkError(_("This dispute is already resolved."))
    if decision not in {d.value for d in Decision}:
        raise WorkError(_("Choose whether the dispute is upheld or rejected."), "decision")
    if not resolution:
        raise WorkError(_("Say how the dispute was resolved."), "resolution")
    case = db.session.get(Case, hold.case_id)
    now = utcnow()
    hold.ended_at, hold.ended_by_id, hold.resolution = now, (actor.id if actor else None), resolution
    changes: dict = {}
    if decision == Decision.UPHELD and CaseStatus(case.status).is_open:
        # Upheld: the case waits, out of the queue and the strategy, for the client's credit note or decision.
        changes = {"status": CaseStatus.DISPUTE.value, "next_action_at": None, "callback_at": None}
        db.session.add(ClientDecision(case_id=case.id, client_id=case.client_id, hold_id=hold.id))
    elif case.status == CaseStatus.DISPUTE:
        changes = {"status": CaseStatus.ACTIVE.value, "next_action_at": now}  # rejected: collection resumes
    before, after = audit.changes(case, **changes)
    emails = _tell_client(case, "dispute_resolved", hold=hold, decision=decision)
    audit.record(
        "dispute.resolved",
        actor=actor,
        subject=hold,
        client_id=case.client_id,
        before={"ended_at": None} | {f"case_{k}": v for k, v in before.items()},
        after={"case_id": case.id, "decision": decision, "resolution": resolution,
               "emails": ",".join(str(e.id) for e in emails)} | {f"case_{k}": v for k, v in after.items()},
    )


def client_addresses(case: Case) -> list[str]:
    """Return where the client is told: its own address, else the addresses of its active users."""
    if case.client.email:
        return [case.client.email]
    return [u.email for u in case.client.users if u.active and u.role == Role.CLIENT]


def _tell_client(case: Case, template: str, **context) -> list[EmailMessage]:
    """E-mail the client about the case, in the platform's language (the client has no language of its own)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        # Rendered without the page context processors: this also runs outside a request.
        subject_and_body = current_app.jinja_env.get_template(f"cases/work/email/{template}.txt").render(
            case=case, link=public_url("cases.show", case_id=case.id), **context
        )
    subject, _sep, body = subject_and_body.strip().partition("\n")
    return [send_email(address, subject.strip(), body.strip() + "\n") for address in client_addresses(case)]

