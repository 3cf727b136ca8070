"""Signing in and staying signed in: credentials, the second step, idle and absolute expiry.

A sign-in has up to two steps. The password first (`attempt_password`), refused without being checked
while the e-mail or the address is locked (agency.lockout). A user with the second factor then has a
*pending* sign-in in the session, not a signed-in one, until their code is accepted (`attempt_code`).
Signed in, the session keeps when it started and when it was last used (`AUTH`): a request after the
idle limit or the absolute lifetime ends it (`check_session`). The user's id in the session carries their
session version (User.get_id), so raising it ends every session of theirs at its next request.

Every attempt, failure and lock writes an audit event; the caller commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, request, session
from flask_login import login_user, logout_user

from agency import audit, lockout, second_factor
from agency.db import db, utcnow
from agency.models import User
from agency.users import find_user

AUTH = "auth"  # {"at": signed in, "seen": last request}, seconds since the epoch
PENDING = "auth_pending"  # {"user": id, "v": session version, "at": password accepted}
PENDING_SECONDS = 300  # the code must follow the password within five minutes

# Checked against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong password.
_DUMMY = User(password_hash="scrypt:32768:8:1$QWJjZGVmZ2hpamts$" + "0" * 128)


@dataclass(frozen=True)
class Outcome:
    """What a sign-in step came to: `user` signed in, a `code` to ask, or refused (with `wait` if locked)."""

    user: User | None = None
    needs_code: bool = False
    wait: lockout.Refusal | None = None


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None; audit a failure (not the password)."""
    user = find_user(email)
    ok = (user or _DUMMY).check_password(password) and user is not None and user.active
    if ok:
        return user
    _fail(email, user, "password")
    return None


def attempt_password(email: str, password: str) -> Outcome:
    """First step: refuse while locked, check the password, then sign in or ask for the code."""
    wait = lockout.refusal(email, request.remote_addr)
    if wait is not None:
        _audit_failure(email, find_user(email), "locked" if wait.locked else "too_soon")
        return Outcome(wait=wait)
    user = authenticate(email, password)
    if user is None:
        return Outcome(wait=lockout.refusal(email, request.remote_addr))
    lockout.clear_account(user.email)
    if user.totp_enabled:
        session[PENDING] = {"user": user.id, "v": user.session_version or 0, "at": int(time.time())}
        return Outcome(needs_code=True)
    sign_in(user, factor=None)
    return Outcome(user=user)


def pending_user() -> User | None:
    """Return the user whose password was accepted and whose code is awaited, if still in time."""
    state = session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, state["user"])
    if user is None or not user.active or (user.session_version or 0) != state["v"]:
        session.pop(PENDING, None)
        return None
    return user


def attempt_code(user: User, code: str) -> Outcome:
    """Second step: the code of the pending sign-in; failures count towards the lock like wrong passwords."""
    wait = lockout.refusal(user.email, request.remote_addr)
    if wait is not None:
        _audit_failure(user.email, user, "locked" if wait.locked else "too_soon")
        return Outcome(wait=wait)
    kind = second_factor.verify(user, code)
    if kind is None:
        _fail(user.email, user, "code")
        return Outcome(wait=lockout.refusal(user.email, request.remote_addr))
    session.pop(PENDING, None)
    lockout.clear_account(user.email)
    sign_in(user, factor=kind)
    return Outcome(user=user)


def sign_in(user: User, *, factor: str | None) -> None:
    """Open the session of `user` (whose credentials were checked) and audit the sign-in."""
    lang = session.get("lang")
    session.clear()  # nothing of an earlier visit survives a sign-in
    if lang:
        session["lang"] = lang
    login_user(user)
    now = int(time.time())
    session[AUTH] = {"at": now, "seen": now}
    user.last_login_at = utcnow()
    audit.record("user.login", actor=user, subject=user, after={"second_factor": factor} if factor else None)


def renew(user: User) -> None:
    """Keep this browser signed in after the user's own change raised their session version."""
    login_user(user)


def end() -> None:
    """Sign this browser out."""
    logout_user()
    session.pop(AUTH, None)
    session.pop(PENDING, None)


def expired(user: User) -> str | None:
    """Return "idle" or "lifetime" when this session is over for `user`, else None; note this request."""
    state = session.get(AUTH)
    if not isinstance(state, dict):
        return "lifetime"  # a session from before these rules, or restored from a cookie: sign in again
    now = int(time.time())
    if not current_app.config.get("SESSION_EXPIRY_ENFORCED", True):
        session[AUTH] = {"at": state.get("at", now), "seen": now}
        return None
    chosen = second_factor.settings()
    idle = (chosen.idle_minutes if user.is_staff else chosen.client_idle_minutes) * 60
    if now - state.get("at", 0) > chosen.session_hours * 3600:
        return "lifetime"
    if now - state.get("seen", 0) > idle:
        return "idle"
    session[AUTH] = {"at": state["at"], "seen": now}
    return None


def _fail(email: str, user: User | None, reason: str) -> None:
    locked = lockout.record_failure(email, request.remote_addr)
    _audit_failure(email, user, reason)
    for key in locked:
        account = key.startswith("account:")
        audit.record("user.locked", actor=None, subject_type="user" if account else "login_address",
                     subject=user if account else None, actor_label=email[:200],
                     after={"key": key, "seconds": lockout.setting("LOGIN_LOCK_SECONDS")})


def _audit_failure(email: str, user: User | None, reason: str) -> None:
    audit.record(
        "user.login_failed",
        actor=None,
        subject_type="user",
        subject=user,
        actor_label=email[:200],
        after={"email": email[:200], "reason": reason},
    )
    current_app.logger.info("failed sign-in for %s (%s)", email, reason)

