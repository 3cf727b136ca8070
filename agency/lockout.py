"""Failed sign-ins: first slowed down, then locked for a while, per e-mail as typed and per client address.

Per e-mail: from the 3rd failure within `LOGIN_FAILURE_WINDOW` the next attempt waits a few seconds, the 5th
locks the e-mail for `LOGIN_LOCK_SECONDS`. Per address: `LOGIN_ADDRESS_FAILURES` failures lock the address
(an office shares one address, so its limit is higher; it stops one machine trying many e-mails). An e-mail
nobody has is counted like a real one, so the answers never tell whether an account exists. A locked or
waiting attempt is refused before the password is checked; every failure and every lock is audited by the
caller. An admin unlocks an account from the users page; a reset password unlocks it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from agency.db import db, utcnow
from agency.security_models import LoginThrottle

DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW": 900,  # seconds
    "LOGIN_LOCK_SECONDS": 900,
    "LOGIN_ADDRESS_FAILURES": 20,
    "LOGIN_SLOW_DOWN_FROM": 3,  # failures before the waits start
    "LOGIN_SLOW_DOWN_SECONDS": 5,  # the first wait; each further failure doubles it
}
FORGET_AFTER = timedelta(days=1)


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without looking at the password: `locked` for minutes, or a short wait."""

    seconds: int
    locked: bool


def account_key(email: str) -> str:
    return "account:" + email.strip().lower()[:250]


def address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")[:45]


def refusal(email: str, address: str | None) -> Refusal | None:
    """Return why a sign-in of `email` from `address` must wait, or None when it may be tried now."""
    now = utcnow()
    worst: Refusal | None = None
    for key in (account_key(email), address_key(address)):
        row = db.session.get(LoginThrottle, key)
        if row is None:
            continue
        candidate = _refusal_of(row, key, now)
        if candidate and (worst is None or candidate.seconds > worst.seconds):
            worst = candidate
    return worst


def _refusal_of(row: LoginThrottle, key: str, now: datetime) -> Refusal | None:
    if row.locked_until and now < row.locked_until:
        return Refusal(math.ceil((row.locked_until - now).total_seconds()), locked=True)
    if key.startswith("account:") and _in_window(row, now) and row.failures >= setting("LOGIN_SLOW_DOWN_FROM"):
        wait = setting("LOGIN_SLOW_DOWN_SECONDS") * 2 ** (row.failures - setting("LOGIN_SLOW_DOWN_FROM"))
        ready = row.last_failure_at + timedelta(seconds=wait)
        if now < ready:
            return Refusal(math.ceil((ready - now).total_seconds()), locked=False)
    return None


def _in_window(row: LoginThrottle, now: datetime) -> bool:
    return now - row.first_failure_at < timedelta(seconds=setting("LOGIN_FAILURE_WINDOW"))


def record_failure(email: str, address: str | None) -> list[str]:
    """Count a failed attempt for the e-mail and the address; return the keys this failure locked."""
    now = utcnow()
    locked = []
    limits = {account_key(email): setting("LOGIN_MAX_FAILURES"), address_key(address): setting("LOGIN_ADDRESS_FAILURES")}
    for key, limit in limits.items():
        row = _row_for_update(key, now)
        if not _in_window(row, now) or (row.locked_until and row.locked_until <= now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None  # a new window
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= limit and row.locked_until is None:
            row.locked_until = now + timedelta(seconds=setting("LOGIN_LOCK_SECONDS"))
            locked.append(key)
    # Rows of e-mails typed once and never again would pile up: forget those long quiet.
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER))
    return locked


def _row_for_update(key: str, now: datetime) -> LoginThrottle:
    row = db.session.scalar(sa.select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is not None:
        return row
    try:
        with db.session.begin_nested():  # two requests may create the same key at once
            row = LoginThrottle(key=key, failures=0, first_failure_at=now, last_failure_at=now)
            db.session.add(row)
    except sa.exc.IntegrityError:
        row = db.session.scalar(sa.select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    return row


def clear_account(email: str) -> bool:
    """Forget the failures and the lock of an account's e-mail; return whether there was a lock to lift."""
    row = db.session.get(LoginThrottle, account_key(email))
    if row is None:
        return False
    was_locked = bool(row.locked_until and utcnow() < row.locked_until)
    db.session.delete(row)
    return was_locked


def is_locked(email: str) -> bool:
    """Tell whether the account of `email` is locked now (shown on the users page)."""
    row = db.session.get(LoginThrottle, account_key(email))
    return bool(row and row.locked_until and utcnow() < row.locked_until)


def locked_emails() -> set[str]:
    """Return the e-mails of the accounts locked now."""
    keys = db.session.scalars(
        sa.select(LoginThrottle.key).where(LoginThrottle.key.like("account:%"), LoginThrottle.locked_until > utcnow())
    )
    return {key.removeprefix("account:") for key in keys}
