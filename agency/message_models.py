"""Messages the agency sends and receives: text messages (Twilio or the local outbox) and e-mails."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db import BigId, UTCDateTime, db, enum_check, utcnow

SMS_SENDING = "status = 'sending'"  # the partial index of messages still being sent


class SmsStatus(StrEnum):
    OUTBOX = "outbox"  # embedded mode: kept locally, never sent
    SENDING = "sending"  # recorded, handed to the delivery job (cases.messaging.delivery)
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"


class SmsMessage(db.Model):
    """One text message, sent through Twilio or kept in the local outbox; inbound replies too."""

    __tablename__ = "sms_message"
    __table_args__ = (
        enum_check("direction", ["outbound", "inbound"]),
        enum_check("status", [s.value for s in SmsStatus]),
        # What the delivery sweep looks for: messages still being sent whose next attempt is due.
        sa.Index("ix_sms_message_due", "next_attempt_at", postgresql_where=sa.text(SMS_SENDING),
                 sqlite_where=sa.text(SMS_SENDING)),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(8), default="outbound")
    to_number: Mapped[str] = mapped_column(sa.String(20), index=True)
    from_number: Mapped[str] = mapped_column(sa.String(20), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12))
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    error: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery through Twilio, at most once: each attempt is counted and recorded before Twilio is
    # called, and `attempted_at` stays set while its outcome is unknown (a crash, a timeout, a 5xx), so
    # that the next run asks Twilio whether the message went out before sending it again.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailStatus(StrEnum):
    OUTBOX = "outbox"  # no SMTP server configured: kept locally, never sent
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    RECEIVED = "received"


class EmailMessage(db.Model):
    """One e-mail, sent through SMTP or kept in the local outbox."""

    __tablename__ = "email_message"
    __table_args__ = (
        enum_check("direction", ["outbound", "inbound"]),
        enum_check("status", [s.value for s in EmailStatus]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(8), default="outbound")
    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    from_address: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12))
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)  # the Message-ID header
    error: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
