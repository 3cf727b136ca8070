"""The second factor: TOTP codes (RFC 6238, 30-second steps) from an authenticator app, and recovery codes.

Enrolment shows a new secret as a QR code of its otpauth:// URI; the second factor is on only once a first
code from the app is confirmed, and then ten recovery codes are shown once (only their SHA-256 is kept:
they are long and random, as API tokens). A code is accepted one step early or late (clocks drift), and
never twice: the last accepted step is kept and only later steps pass.

Admins and managers must have it; collectors and client users when the agency's settings say so.
`SECOND_FACTOR_ENFORCED` (no environment variable: only the test harness sets it) lets tests that are not
about sign-in skip the enrolment; tests of the rule turn it back on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from agency import audit
from agency.db import db, utcnow
from agency.models import AgencyProfile, Role, User
from agency.security_models import RecoveryCode, SecuritySettings
from agency.users import UserError, end_sessions

STEP = 30  # seconds
RECOVERY_CODES = 10
ALWAYS_REQUIRED = frozenset({Role.ADMIN, Role.MANAGER})
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def settings() -> SecuritySettings:
    """Return the agency's sign-in settings, the defaults until an admin saves them."""
    return db.session.get(SecuritySettings, 1) or SecuritySettings(
        id=1, second_factor_collectors=False, second_factor_clients=False, idle_minutes=30,
        client_idle_minutes=60, session_hours=12,
    )


def required_for(user: User) -> bool:
    """Tell whether `user` must have the second factor before doing anything once signed in."""
    if not current_app.config.get("SECOND_FACTOR_ENFORCED", True):
        return False
    role = user.role_enum
    if role in ALWAYS_REQUIRED:
        return True
    chosen = settings()
    return chosen.second_factor_collectors if role is Role.COLLECTOR else chosen.second_factor_clients


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    issuer = db.session.scalar(sa.select(AgencyProfile.name).where(AgencyProfile.id == 1)) or "Amiable"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the QR code of `uri` as an inline SVG (no image file, nothing for the CSP to allow)."""
    return segno.make(uri, error="m").svg_inline(scale=5, light="#fff", title=_("QR code to scan"))


def _matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time() // STEP)
    for step in (now_step - 1, now_step, now_step + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn the second factor on once `code` proves the app holds `secret`; return the new recovery codes."""
    step = _matching_step(secret, code, None)
    if step is None:
        raise UserError("code", _("This code does not match. Check the time of your phone and try again."))
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    codes = _new_recovery_codes(user)
    audit.record("user.second_factor_enabled", actor=user, subject=user)
    return codes


def verify(user: User, code: str) -> str | None:
    """Check a code at sign-in: a TOTP code of a step not used yet, or an unused recovery code.

    Return "totp" or "recovery" for the kind accepted, None when refused. Marks what was used.
    """
    if not user.totp_enabled:
        return None
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    row = db.session.scalar(
        sa.select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(_fold(code)),
               RecoveryCode.used_at.is_(None))
        .with_for_update()
    )
    if row is None:
        return None
    row.used_at = utcnow()
    audit.record("user.recovery_code_used", actor=user, subject=user, after={"left": recovery_codes_left(user)})
    return "recovery"


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones, returned to be shown once."""
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_renewed", actor=user, subject=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(_fold(c))) for c in codes)
    return codes


def reset(user: User, *, actor: User) -> None:
    """Turn the user's second factor off (a lost phone); they enrol again at their next sign-in if required."""
    if not user.totp_enabled:
        return
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    audit.record("user.second_factor_reset", actor=actor, subject=user)


def _fold(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
