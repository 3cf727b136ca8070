"""Files staff or the client attach to a case: an invoice, the contract, a delivery note, a proof, a letter."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, UTCDateTime, db, utcnow
from agency.models import User
from cases.models.case import Case
from debtors.models import Debtor


class Attachment(db.Model):
    """A file attached to a case, judged by its bytes and stored once with its SHA-256 like letters.

    Internal unless `visible_to_client`; a client user's own upload is visible to the client by nature.
    """

    __tablename__ = "attachment"
    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_attachment_case_client"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.Index("ix_attachment_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int]
    client_id: Mapped[int]  # the case's, so the tenant scope applies to the row itself
    filename: Mapped[str] = mapped_column(sa.String(200))  # as the uploader's device named it; shown, never trusted
    media_type: Mapped[str] = mapped_column(sa.String(120))  # from the bytes
    file_path: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    visible_to_client: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship()


class DebtorAttachment(db.Model):
    """A file about the debtor rather than one case (an identity document, a letter from them, a registry extract).

    Staff only: a debtor is shared by every client whose cases they owe, so no client sees these.
    """

    __tablename__ = "debtor_attachment"
    __table_args__ = (
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.Index("ix_debtor_attachment_debtor", "debtor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))  # as the uploader's device named it; shown, never trusted
    media_type: Mapped[str] = mapped_column(sa.String(120))  # from the bytes
    file_path: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    debtor: Mapped[Debtor] = relationship()
    created_by: Mapped[User | None] = relationship()
