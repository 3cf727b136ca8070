"""The contact rules applied to a case: what the queue, the case screen, the senders and the jobs ask.

`debtors.compliance.check_contact` holds the rules; this module gathers a case's facts for it: the
jurisdiction profile of the client's mandate, the debtor's time zone, holds and contact points, and
the case's call history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from agency.db import db, utcnow
from agency.models import User
from agency.page_reads import read_once
from cases.actions import record_action
from cases.models import Action, ActionKind, ActionStatus, CallOutcome, Case, CaseStatus
from debtors.compliance import CHANNEL_KIND, CHANNELS, Verdict, check_contact, local_text, zone
from debtors.models import ContactPoint, ContactProfile, Hold

DEFAULT_PROFILE = "FR"
CONVERSATIONS = [o.value for o in CallOutcome if o.is_conversation]


def may_contact(
    case: Case,
    channel: str,
    *,
    contact_point: ContactPoint | None = None,
    at: datetime | None = None,
    about_dispute: bool = False,
    incoming: bool = False,
) -> Verdict:
    """Tell whether `case`'s debtor may be contacted by `channel` (on `contact_point`, if given) at `at`.

    `incoming`: the debtor called us; only the holds apply (see `check_contact`).
    """
    at = at or utcnow()
    if contact_point is not None and contact_point.debtor_id != case.debtor_id:
        raise ValueError("the contact point is not the case debtor's")
    profile = profile_for(case, at)
    verdict = check_contact(
        profile,
        channel,
        at=at,
        about_dispute=about_dispute,
        incoming=incoming,
        contact_point=contact_point,
        **_facts(case, profile, channel, at),
    )
    if verdict.allowed and case.status == CaseStatus.DISPUTE and not (about_dispute or incoming):
        # A dispute a manager upheld still holds the case: it waits for the client's decision.
        return Verdict(False, "hold_dispute", _("The dispute is upheld: the case waits for the client's decision."))
    return verdict


def allowed_contact_points(
    case: Case, channel: str, *, at: datetime | None = None
) -> list[tuple[ContactPoint, Verdict]]:
    """Return every contact point of the debtor usable for `channel`, each with its verdict at `at`.

    The list holds refused points too (an opted-out or wrong number, outside hours…) so the screen
    can say why; the allowed ones come first, the primary point before the others.
    """
    at = at or utcnow()
    profile = profile_for(case, at)
    facts = _facts(case, profile, channel, at)
    kind = CHANNEL_KIND[channel]
    points = sorted(
        (cp for cp in case.debtor.contact_points if cp.kind == kind), key=lambda cp: (not cp.is_primary, cp.id)
    )
    verdicts = [(cp, check_contact(profile, channel, at=at, contact_point=cp, **facts)) for cp in points]
    return sorted(verdicts, key=lambda pair: not pair[1].allowed)


def record_blocked(
    case: Case,
    kind: str,
    channel: str,
    verdict: Verdict,
    *,
    actor: User | None,
    contact_point: ContactPoint | None = None,
    strategy_step: int | None = None,
) -> Action:
    """Record in the case's history (and audit trail) that a contact was refused, with the verdict's reason."""
    if verdict.allowed:
        raise ValueError("only a refused contact is recorded as blocked")
    return record_action(
        case,
        kind,
        channel,
        actor=actor,
        status=ActionStatus.BLOCKED.value,
        reason=verdict.reason,
        note=verdict.detail,
        contact_point_id=contact_point.id if contact_point is not None else None,
        strategy_step=strategy_step,
    )


@read_once(key=lambda case, at: (case.id, at.date()))
def profile_for(case: Case, at: datetime) -> ContactProfile:
    """Return the contact profile of the jurisdiction of the client's mandate in force (FR by default)."""
    mandate = case.client.active_mandate(at.date())
    code = mandate.jurisdiction if mandate is not None else DEFAULT_PROFILE
    profiles = db.session.scalars(
        sa.select(ContactProfile).where(ContactProfile.code.in_({code, DEFAULT_PROFILE}))
    ).all()
    by_code = {p.code: p for p in profiles}
    profile = by_code.get(code) or by_code.get(DEFAULT_PROFILE)
    if profile is None:
        raise LookupError(f"no contact profile {code} nor {DEFAULT_PROFILE}")
    return profile


@read_once(key=lambda case, at, days: (case.id, days))
def call_history(case: Case, at: datetime, days: int) -> tuple[list[datetime], datetime | None]:
    """Return the case's outbound call attempts and its last telephone conversation in the `days` before `at`."""
    rows = db.session.execute(
        sa.select(Action.done_at, Action.direction, Action.outcome).where(
            Action.case_id == case.id,
            Action.kind == ActionKind.CALL.value,
            Action.status == ActionStatus.DONE.value,
            Action.done_at > at - timedelta(days=days),
            Action.done_at <= at,
        )
    ).all()
    attempts = [done_at for done_at, direction, _outcome in rows if direction == "outbound"]
    # A conversation counts whoever called: the wait follows any telephone conversation with the debtor.
    conversations = [done_at for done_at, _direction, outcome in rows if outcome in CONVERSATIONS]
    return attempts, max(conversations, default=None)


def _facts(case: Case, profile: ContactProfile, channel: str, at: datetime) -> dict:
    """Gather what `check_contact` needs to know about the case besides the profile."""
    debtor = case.debtor
    facts = {
        "timezone": debtor.timezone,
        "holds": holds_in_force(case, at),
        "contact_points": debtor.contact_points,
        "case_id": case.id,
    }
    if channel == "phone":
        days = max(profile.call_cap_days if profile.call_cap else 0, profile.conversation_wait_days)
        if days:
            facts["call_attempts"], facts["last_conversation_at"] = call_history(case, at, days)
    return facts


@read_once(key=lambda case, at: case.debtor_id)
def holds_in_force(case: Case, at: datetime) -> list[Hold]:
    """Return the holds on the case's debtor in force at `at`."""
    # Queried rather than read from `debtor.holds`, which misses a hold added by id in this session.
    return db.session.scalars(
        sa.select(Hold).where(Hold.debtor_id == case.debtor_id, Hold.ended_at.is_(None) | (Hold.ended_at > at))
    ).all()


@dataclass(frozen=True)
class ContactSummary:
    """What the case screen shows: the profile, the debtor's local time and each channel's verdict."""

    profile: ContactProfile
    local_time: str
    timezone: str
    verdicts: list[tuple[str, Verdict]]

    @property
    def common_refusal(self) -> Verdict | None:
        """Return the refusal every channel shares (a hold, typically), so the screen says it once."""
        first = self.verdicts[0][1]
        if not first.allowed and all(v.reason == first.reason for _channel, v in self.verdicts):
            return first
        return None


def contact_summary(case: Case, *, at: datetime | None = None) -> ContactSummary:
    """Ask the contact rules about every channel of `case` at `at`, for the case screen."""
    at = at or utcnow()
    tz = zone(case.debtor.timezone)
    return ContactSummary(
        profile=profile_for(case, at),
        local_time=local_text(at, tz),
        timezone=tz.key,
        verdicts=[(channel, may_contact(case, channel, at=at)) for channel in CHANNELS],
    )
