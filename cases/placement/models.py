"""Placements: the batches of unpaid invoices a client hands over, their files and saved column maps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import ApiToken, Client, User


class PlacementStatus(StrEnum):
    MAPPING = "mapping"  # waiting for the user to say which column is which
    VALIDATING = "validating"
    VALIDATED = "validated"  # report ready, waiting for confirmation; nothing written yet
    IMPORTING = "importing"
    IMPORTED = "imported"
    FAILED = "failed"  # the import job failed: nothing was written (one transaction)
    CANCELLED = "cancelled"


class PlacementSource(StrEnum):
    UPLOAD = "upload"
    API = "api"
    SHELL = "shell"


class Placement(db.Model):
    """One batch of invoices placed by a client, from upload to import, with its figures and report."""

    __tablename__ = "placement"
    __table_args__ = (
        enum_check("status", [s.value for s in PlacementStatus]),
        enum_check("source", [s.value for s in PlacementSource]),
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
        sa.Index("ix_placement_client_created", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    source: Mapped[str] = mapped_column(sa.String(8))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_token.id"))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    file_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(12))
    mapping: Mapped[dict | None] = mapped_column(sa.JSON)  # field key -> column index
    headers: Mapped[list | None] = mapped_column(sa.JSON)
    # The first rows, cells cut short, kept at upload for the mapping page: the file is never read again for it.
    samples: Mapped[list | None] = mapped_column(sa.JSON)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_valid: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_already_placed: Mapped[int] = mapped_column(default=0)
    cases_to_create: Mapped[int] = mapped_column(default=0)
    cases_to_update: Mapped[int] = mapped_column(default=0)
    debtors_to_create: Mapped[int] = mapped_column(default=0)
    debtors_matched: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int] = mapped_column(Cents, default=0)
    report: Mapped[dict | None] = mapped_column(sa.JSON)  # rejections and already-placed rows
    error: Mapped[str] = mapped_column(sa.Text, default="")
    job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the file, its check, samples and report were emptied: nobody they name is kept any more (money.personal_data).
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    api_token: Mapped[ApiToken | None] = relationship()
    file: Mapped[PlacementFile] = relationship(back_populates="placement", uselist=False)


class PlacementFile(db.Model):
    """The file as received, kept in the database so that any worker machine can read it."""

    __tablename__ = "placement_file"

    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placement.id"), primary_key=True)
    # Deferred: megabytes that only the check reads.
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    # What the last check parsed (cases.placement.checked), so that the import need not parse again.
    checked_rows: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)

    placement: Mapped[Placement] = relationship(back_populates="file")


class ColumnMapping(db.Model):
    """A client's saved answer to "which column is which", reused for its next files."""

    __tablename__ = "column_mapping"

    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), primary_key=True)
    # Header text (normalized) -> field key, so that a file with the same headers in another order maps too.
    by_header: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
