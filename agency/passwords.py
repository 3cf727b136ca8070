"""Password-reset links: random, kept as their SHA-256, usable once within an hour, sent through agency.mail.

An admin sends one from the users page; anyone may ask for one from the sign-in page, and gets the same
answer whether the e-mail is known or not (only an active user's address receives a link). Using a link
sets the new password, ends every session of the user and unlocks their account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from agency import audit, lockout
from agency.db import db, utcnow
from agency.mail import send_email
from agency.models import User
from agency.security_models import PasswordReset
from agency.users import UserError, find_user, set_password

RESET_LIFETIME = timedelta(hours=1)
# Where links point when PUBLIC_URL is not set and the app has no SERVER_NAME (embedded mode, `make run`).
EMBEDDED_URL = "http://127.0.0.1:5000"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_url(token: str) -> str:
    """Return the link's address, never built from the request's Host header, which a sender controls."""
    config = current_app.config
    base = config["PUBLIC_URL"] or (
        f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}" if config.get("SERVER_NAME") else EMBEDDED_URL
    )
    return base + url_for("account.reset_password", token=token, _external=False)


def send_reset_link(user: User, *, actor: User | None) -> PasswordReset:
    """Issue a reset link for `user`, e-mail it to them and audit it (not its token); the caller commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = PasswordReset(user=user, token_hash=_hash(token), created_at=now, expires_at=now + RESET_LIFETIME,
                        created_by_id=actor.id if actor else None)
    db.session.add(row)
    with force_locale(user.locale or "fr"):
        subject = _("Choose a new password")
        body = _(
            "Hello %(name)s,\n\nTo choose a new password for %(email)s, open this link within an hour:\n\n"
            "%(url)s\n\nThe link works once. If you did not ask for it, ignore this message: your password "
            "stays as it is.\n",
            name=user.name, email=user.email, url=reset_url(token),
        )
    send_email(user.email, subject, body)
    db.session.flush()
    audit.record("user.reset_link_sent", actor=actor, subject=user,
                 actor_label=None if actor else "password reset request",
                 after={"expires_at": row.expires_at.isoformat()})
    return row


def request_reset(email: str) -> None:
    """Send a link if `email` is an active user's; say nothing either way (the page answers the same)."""
    user = find_user(email)
    if user is not None and user.active:
        send_reset_link(user, actor=None)


def find_reset(token: str) -> PasswordReset | None:
    """Return the reset row that `token` names if it can still be used, else None."""
    row = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    if row is None or not row.usable(utcnow()) or not row.user.active:
        return None
    return row


def use_reset(token: str, password: str) -> User:
    """Set the new password from a reset link, once; end the user's sessions and unlock their account."""
    row = db.session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == _hash(token)).with_for_update()
    )
    now = utcnow()
    if row is None or not row.usable(now) or not row.user.active:
        raise UserError("token", _("This link has expired or was already used. Ask for a new one."))
    user = row.user
    set_password(user, password, actor=None, action="user.password_reset")
    # Every link of this user ends with the first one used: an older e-mail must not reset the new password.
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    lockout.clear_account(user.email)
    return user
