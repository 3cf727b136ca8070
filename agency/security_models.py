"""Rows of sign-in security: password-reset links, recovery codes, failed sign-ins, the agency's settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import UTCDateTime, db, utcnow
from agency.models import User

DEFAULT_IDLE_MINUTES = 30
DEFAULT_CLIENT_IDLE_MINUTES = 60
DEFAULT_SESSION_HOURS = 12


class PasswordReset(db.Model):
    """A link to choose a new password: random, stored as its SHA-256, usable once before it expires."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The admin who sent it; none when the user asked for it from the sign-in page.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class RecoveryCode(db.Model):
    """A single-use code that stands in for the second factor when the phone is lost; only its hash is kept."""

    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Failed sign-ins of one e-mail as typed (known or not) or of one client address, and its lock.

    Kept in the database rather than in agency.ratelimit's fixed windows: a lock lasts a set time from the
    failure that caused it, an admin lifts it, and an e-mail nobody has is throttled exactly like a real one.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)  # "account:<e-mail>" or "address:<ip>"
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecuritySettings(db.Model):
    """The agency's sign-in settings (one row; the defaults apply until an admin saves it)."""

    __tablename__ = "security_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("idle_minutes BETWEEN 5 AND 480", name="idle_minutes_range"),
        sa.CheckConstraint("client_idle_minutes BETWEEN 5 AND 480", name="client_idle_minutes_range"),
        sa.CheckConstraint("session_hours BETWEEN 1 AND 24", name="session_hours_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # Admins and managers always need the second factor; collectors and client users when these say so.
    second_factor_collectors: Mapped[bool] = mapped_column(default=False)
    second_factor_clients: Mapped[bool] = mapped_column(default=False)
    idle_minutes: Mapped[int] = mapped_column(default=DEFAULT_IDLE_MINUTES)  # staff
    client_idle_minutes: Mapped[int] = mapped_column(default=DEFAULT_CLIENT_IDLE_MINUTES)
    session_hours: Mapped[int] = mapped_column(default=DEFAULT_SESSION_HOURS)  # from sign-in, active or not
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
