"""Signing in: checking credentials and recording every attempt in the audit trail."""

from __future__ import annotations

from flask import current_app

from agency import audit
from agency.db import utcnow
from agency.models import User
from agency.users import find_user

# Checked against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong password.
_DUMMY = User(password_hash="scrypt:32768:8:1$QWJjZGVmZ2hpamts$" + "0" * 128)


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None; audit the attempt either way."""
    user = find_user(email)
    ok = (user or _DUMMY).check_password(password) and user is not None and user.active
    if ok:
        user.last_login_at = utcnow()
        audit.record("user.login", actor=user, subject=user)
        return user
    audit.record(
        "user.login_failed",
        actor=None,
        subject_type="user",
        subject=user,
        actor_label=email[:200],
        after={"email": email[:200]},
    )
    current_app.logger.info("failed sign-in for %s", email)
    return None
