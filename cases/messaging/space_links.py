"""Links to the debtor's space: issued one per SMS, e-mail or letter, looked up by hash, revoked by staff.

A link is 192 random bits, shown once in the message and stored only as its SHA-256. It names one case,
expires after the agency's setting (30 days by default) and can be revoked; the second factor asked at
the door (debtor_space) is what keeps a stranger holding the debtor's phone out. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from cases.messaging.links import space_url
from cases.models import Case
from cases.models.space_links import MAX_LINK_DAYS, LinkChannel, SpaceLink, SpaceSettings

TOKEN_BYTES = 24  # 192 bits: 32 characters in the URL, short enough for an SMS
TOKEN_CHARS = 32
_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_CHARS}}}$")
# What previews print in place of a link, which only sending issues: as long as a real one, so that an
# SMS preview counts the same number of parts.
PREVIEW_TOKEN = "x" * TOKEN_CHARS


class SettingsError(ValueError):
    """Settings refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def digest(token: str) -> str:
    # SHA-256 is enough: the token is 192 random bits, not a password that could be guessed.
    return hashlib.sha256(token.encode()).hexdigest()


def get_settings() -> SpaceSettings:
    """Return the space's settings, the defaults when nobody has saved any (not added to the session)."""
    return db.session.get(SpaceSettings, 1) or SpaceSettings(
        id=1, link_days=SpaceSettings.link_days.default.arg, group_cases=False
    )


def update_settings(*, link_days: int, group_cases: bool, actor: User) -> SpaceSettings:
    """Check and store the settings, and audit what changed; links already sent keep their expiry."""
    if not 1 <= link_days <= MAX_LINK_DAYS:
        raise SettingsError(_("A link lives between 1 and %(days)s days.", days=MAX_LINK_DAYS), "link_days")
    settings = db.session.get(SpaceSettings, 1)
    if settings is None:
        settings = get_settings()
        db.session.add(settings)
    before, after = audit.changes(settings, link_days=link_days, group_cases=group_cases)
    settings.updated_by_id = actor.id
    audit.record("space.settings_changed", actor=actor, subject=settings, before=before, after=after)
    return settings


def new_token() -> tuple[str, str]:
    """Return a fresh token and its URL, to print in a message before the message's row exists."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, space_url(token)


def issue_link(
    case: Case, channel: LinkChannel | str, token: str, *, actor: User | None, **message_id: int | None
) -> SpaceLink:
    """Record the link `token` (from `new_token`) to the space of `case`, sent by the message named in
    `message_id` (`sms_message_id`, `email_message_id` or `letter_id`)."""
    now = utcnow()
    row = SpaceLink(
        case_id=case.id, client_id=case.client_id, token_hash=digest(token), channel=LinkChannel(channel).value,
        created_at=now, expires_at=now + timedelta(days=get_settings().link_days),
        created_by_id=actor.id if actor else None, **message_id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("space_link.issued", actor=actor, subject=row,
                 after={"case_id": case.id, "channel": row.channel, "expires_at": row.expires_at, **message_id})
    return row


def preview_url() -> str:
    """Return what a preview prints where the message will carry its link."""
    return space_url(PREVIEW_TOKEN)


def find_link(token: str) -> SpaceLink | None:
    """Return the link a token opens, usable or not; None when no link has this token."""
    if not _TOKEN.match(token or "") or token == PREVIEW_TOKEN:
        return None
    return db.session.scalar(sa.select(SpaceLink).where(SpaceLink.token_hash == digest(token)))


def link_state(link: SpaceLink, now: datetime | None = None) -> str:
    """Return `active`, `expired` or `revoked`."""
    if link.revoked_at is not None:
        return "revoked"
    return "active" if (now or utcnow()) < link.expires_at else "expired"


def links_of(case: Case, limit: int = 20) -> list[SpaceLink]:
    """Return the case's latest links, newest first."""
    return list(db.session.scalars(
        sa.select(SpaceLink).where(SpaceLink.case_id == case.id).order_by(SpaceLink.id.desc()).limit(limit)
    ))


def active_links(case: Case) -> list[SpaceLink]:
    """Return the case's links that still open its space."""
    return list(db.session.scalars(
        sa.select(SpaceLink).where(SpaceLink.case_id == case.id, SpaceLink.revoked_at.is_(None),
                                   SpaceLink.expires_at > utcnow()).order_by(SpaceLink.id)
    ))


def revoke_links(case: Case, *, actor: User | None, reason: str = "staff") -> int:
    """Stop every link of `case` from opening its space, at once; return how many were still active."""
    links = active_links(case)
    now = utcnow()
    for link in links:
        link.revoked_at, link.revoked_by_id = now, actor.id if actor else None
    if links:
        audit.record("space_link.revoked", actor=actor, subject=case,
                     after={"links": ",".join(str(link.id) for link in links), "reason": reason})
    return len(links)


def revoke_link(link: SpaceLink, *, actor: User | None, reason: str) -> None:
    """Stop one link from opening its space (too many wrong answers at its door)."""
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by_id = utcnow(), actor.id if actor else None
        audit.record("space_link.revoked", actor=actor, subject=link, after={"reason": reason})
