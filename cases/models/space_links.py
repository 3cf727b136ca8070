"""Links to the debtor's space: one per message that carries it, naming one case, expiring, revocable.

The token itself is never stored, only its SHA-256: a copy of the database opens no debtor's space.
The settings (how long a link lives, whether a debtor sees their other cases of the same client) are one
row the administrator edits.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, UTCDateTime, db, enum_check, utcnow
from agency.message_models import EmailMessage, SmsMessage
from agency.models import User
from cases.models.case import Case
from cases.models.letters import Letter

DEFAULT_LINK_DAYS = 30
MAX_LINK_DAYS = 365


class LinkChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class SpaceLink(db.Model):
    """A link issued for one message; it opens its case's space until it expires or is revoked."""

    __tablename__ = "space_link"
    __table_args__ = (
        enum_check("channel", [c.value for c in LinkChannel]),
        sa.ForeignKeyConstraint(
            ["case_id", "client_id"],
            ["collection_case.id", "collection_case.client_id"],
            name="fk_space_link_case_client",
        ),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),
        sa.Index("ix_space_link_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]  # the case's client, for the audit trail's tenant column
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(8))
    sms_message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sms_message.id"))
    email_message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("email_message.id"))
    letter_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("letter.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    first_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong second factors over the link's whole life; past a ceiling the link is revoked (see the space's rules).
    failed_attempts: Mapped[int] = mapped_column(default=0)

    case: Mapped[Case] = relationship()
    sms_message: Mapped[SmsMessage | None] = relationship()
    email_message: Mapped[EmailMessage | None] = relationship()
    letter: Mapped[Letter | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def usable(self, now: datetime) -> bool:
        """Tell whether the link still opens its space at `now`."""
        return self.revoked_at is None and now < self.expires_at


class SpaceSettings(db.Model):
    """The agency's settings of the debtor's space (one row; the defaults apply until it is saved)."""

    __tablename__ = "space_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(f"link_days BETWEEN 1 AND {MAX_LINK_DAYS}", name="link_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    link_days: Mapped[int] = mapped_column(default=DEFAULT_LINK_DAYS)
    # Whether a debtor's space also shows their other open cases of the same client (never another client's).
    group_cases: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class SpaceDocumentKind(StrEnum):
    DISPUTE = "dispute"  # attached to a dispute the debtor opened
    PAYMENT_PROOF = "payment_proof"  # the proof of a payment the debtor says they made


class SpaceDocument(db.Model):
    """A file a debtor sent from their space (PDF, PNG or JPEG, judged by its bytes), stored once with its SHA-256
    like letters, and named in the note of the case's history that the collector reads."""

    __tablename__ = "space_document"
    __table_args__ = (
        enum_check("kind", [k.value for k in SpaceDocumentKind]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_space_document_case_client"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.Index("ix_space_document_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    hold_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hold.id"))
    action_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("action.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))  # as the debtor's device named it; shown, never trusted
    media_type: Mapped[str] = mapped_column(sa.String(40))  # from the bytes
    file_path: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
