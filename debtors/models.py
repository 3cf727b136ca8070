"""Debtors, their contact points and the holds that stop collection contact."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import UTCDateTime, db, enum_check, utcnow
from debtors.folding import SEARCH_NAME_LENGTH, search_name_of


class DebtorKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class HoldKind(StrEnum):
    DISPUTE = "dispute"
    INSOLVENCY = "insolvency"  # sauvegarde, redressement, liquidation: individual collection stops
    OVER_INDEBTEDNESS = "over_indebtedness"  # surendettement: the debtor may not pay
    DECEASED = "deceased"
    CEASE_COMMUNICATION = "cease_communication"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"


class ContactStatus(StrEnum):
    UNVERIFIED = "unverified"
    VALID = "valid"
    WRONG = "wrong"  # wrong number, or the person reached is not the debtor
    BOUNCED = "bounced"  # e-mail bounced, letter returned
    INACTIVE = "inactive"  # no longer in use: replaced by a correction (`superseded_by_id`)
    # The names the staff's pages speak, for the values above: an address whose letter came back
    # ("n'habite pas à l'adresse indiquée", NPAI) is bounced, a point a correction replaced is inactive.
    RETURNED = "bounced"
    SUPERSEDED = "inactive"


# Never contacted again, whatever the channel: a letter goes only to a usable address.
UNUSABLE_STATUSES = frozenset({ContactStatus.WRONG, ContactStatus.BOUNCED, ContactStatus.INACTIVE})


class ContactSource(StrEnum):
    """Who gave a contact point: kept with it, with the day it was learned."""

    CLIENT = "client"  # the creditor: a placement file, or told by the client
    DEBTOR = "debtor"
    RESEARCH = "research"  # the collector's own research (directories, registers, neighbours)
    RETURNED_MAIL = "returned_mail"  # written on a letter La Poste brought back
    OTHER = "other"


class Debtor(db.Model):
    """A person or a company that owes; known once to the agency, whatever the client."""

    __tablename__ = "debtor"
    __table_args__ = (
        enum_check("kind", [k.value for k in DebtorKind]),
        sa.CheckConstraint(
            "(kind = 'company' AND company_name <> '') OR (kind = 'person' AND last_name <> '')",
            name="has_name",
        ),
        sa.CheckConstraint("siren IS NULL OR length(siren) = 9", name="siren_length"),
        # A name typed in part and in any order is found by trigrams (pg_trgm, migration 0043); SQLite has no
        # such index and scans, which is enough for an embedded agency.
        sa.Index(
            "ix_debtor_search_name_trgm",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(16), default="")  # M., Mme
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    company_name: Mapped[str] = mapped_column(sa.String(200), default="")
    siren: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    # The names folded (lower case, no accents, debtors.folding), kept by the events below on every ORM
    # insert and update. A write that bypasses the ORM (bulk COPY, a set-based UPDATE, anonymisation) must
    # set it too: a stale value would find a debtor by a name it no longer has.
    search_name: Mapped[str] = mapped_column(sa.String(SEARCH_NAME_LENGTH), default="", server_default="")
    birth_date: Mapped[date | None]
    language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    risk_score: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the debtor's identity, contact points, free texts and documents were removed (retention or erasure):
    # the row stays, named "Anonymisé #id", because cases and the ledger refer to it.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="debtor", order_by="(ContactPoint.kind, ContactPoint.id)"
    )
    holds: Mapped[list[Hold]] = relationship(back_populates="debtor", order_by="Hold.started_at")

    @property
    def display_name(self) -> str:
        return self.name_of(self.kind, self.company_name, self.title, self.first_name, self.last_name)

    @staticmethod
    def name_of(kind: str, company_name: str, title: str, first_name: str, last_name: str) -> str:
        """Return the name a debtor is shown by, from its columns (for lists read without loading debtors)."""
        if kind == DebtorKind.COMPANY:
            return company_name
        return " ".join(p for p in (title, first_name, last_name.upper()) if p)

    @property
    def active_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.ended_at is None]

    def __repr__(self) -> str:
        return f"<Debtor {self.id} {self.display_name}>"


@sa.event.listens_for(Debtor, "before_insert")
@sa.event.listens_for(Debtor, "before_update")
def _fold_search_name(mapper, connection, debtor: Debtor) -> None:
    debtor.search_name = search_name_of(debtor.first_name, debtor.last_name, debtor.company_name)


class DebtorReference(db.Model):
    """The client's own identifier of a debtor (customer number), used to match later placements."""

    __tablename__ = "debtor_reference"
    __table_args__ = (sa.UniqueConstraint("client_id", "external_id", name="uq_debtor_reference_client_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    external_id: Mapped[str] = mapped_column(sa.String(64))


class ContactPoint(db.Model):
    """A way to reach a debtor: a phone number (E.164), an e-mail address or a postal address."""

    __tablename__ = "contact_point"
    __table_args__ = (
        enum_check("kind", [k.value for k in ContactKind]),
        enum_check("status", [s.value for s in ContactStatus]),
        sa.CheckConstraint("kind <> 'address' OR (city <> '' AND postcode <> '')", name="address_complete"),
        sa.CheckConstraint("kind = 'address' OR value <> ''", name="value_present"),
        # Finds a known debtor by phone or e-mail (placement matching, inbound SMS). Addresses have no
        # value: leaving them out keeps the index a third smaller and bulk imports faster.
        sa.Index(
            "ix_contact_point_value",
            "value",
            postgresql_where=sa.text("kind IN ('phone', 'email')"),
            sqlite_where=sa.text("kind IN ('phone', 'email')"),
        ),
        # Finds the debtors of a postcode (the case search); only addresses have one.
        sa.Index(
            "ix_contact_point_postcode",
            "postcode",
            postgresql_where=sa.text("kind = 'address'"),
            sqlite_where=sa.text("kind = 'address'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    label: Mapped[str] = mapped_column(sa.String(20), default="")  # mobile, home, work, billing…
    value: Mapped[str] = mapped_column(sa.String(254), default="")  # E.164 phone or normalized e-mail
    address_line1: Mapped[str] = mapped_column(sa.String(200), default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), default="")
    postcode: Mapped[str] = mapped_column(sa.String(16), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="FR")
    status: Mapped[str] = mapped_column(sa.String(12), default=ContactStatus.UNVERIFIED.value)
    is_primary: Mapped[bool] = mapped_column(default=False)
    sms_consent: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(40), default="")  # ContactSource; older rows: placement…
    learned_on: Mapped[date | None]  # the day the source gave it (rows older than migration 0051: none)
    # A window envelope's recipient line under the debtor's name (chez…, a company's department).
    name_line: Mapped[str] = mapped_column(sa.String(38), default="", server_default="")
    returned_on: Mapped[date | None]  # the day a letter to this address came back
    # The point that corrected this one. No foreign key, as for every column of this table that placements
    # write by COPY (migration 0011): points are never deleted, and a key would be checked row by row.
    superseded_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    debtor: Mapped[Debtor] = relationship(back_populates="contact_points")

    @property
    def usable(self) -> bool:
        return self.opted_out_at is None and self.status not in UNUSABLE_STATUSES

    @classmethod
    def usable_clause(cls) -> sa.ColumnElement[bool]:
        """The SQL twin of `usable`."""
        return sa.and_(cls.opted_out_at.is_(None), cls.status.not_in([s.value for s in UNUSABLE_STATUSES]))


class Hold(db.Model):
    """A reason that stops collection contact with a debtor, from `started_at` until `ended_at`.

    A dispute concerns one case (`case_id`); the other kinds stop contact on all the debtor's cases.
    """

    __tablename__ = "hold"
    __table_args__ = (
        enum_check("kind", [k.value for k in HoldKind]),
        sa.CheckConstraint("kind <> 'dispute' OR case_id IS NOT NULL", name="dispute_has_case"),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="dates_ordered"),
        sa.ForeignKeyConstraint(
            ["case_id", "debtor_id"],
            ["collection_case.id", "collection_case.debtor_id"],
            name="fk_hold_case_debtor",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The date of the judgment or decision behind the hold: for insolvency, the opening judgment, from which
    # interest stops.
    reference_date: Mapped[date | None]
    # Insolvency: the BODACC publication of the opening judgment, from which the 2-month claim filing runs.
    bodacc_published_on: Mapped[date | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    resolution: Mapped[str] = mapped_column(sa.Text, default="")  # how a dispute or hold was settled

    debtor: Mapped[Debtor] = relationship(back_populates="holds")


class ContactProfile(db.Model):
    """The contact rules of one jurisdiction, as data the agency can change (DESIGN.md §4).

    `windows` maps ISO weekdays ("1" = Monday … "7" = Sunday) to lists of ["HH:MM", "HH:MM"] ranges
    in the debtor's local time; a day absent from it allows no contact. `hours_channels` lists the
    channels the windows apply to (calls always; the US rule covers every communication).
    """

    __tablename__ = "contact_profile"
    __table_args__ = (
        sa.CheckConstraint("call_cap IS NULL OR (call_cap > 0 AND call_cap_days > 0)", name="cap_positive"),
        sa.CheckConstraint("conversation_wait_days >= 0", name="wait_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)  # the mandate's jurisdiction: FR, US
    name: Mapped[str] = mapped_column(sa.String(100))
    windows: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    hours_channels: Mapped[list] = mapped_column(sa.JSON, default=list)
    no_contact_on_holidays: Mapped[bool] = mapped_column(default=True)
    holiday_country: Mapped[str] = mapped_column(sa.String(2), default="FR")  # for the holidays library
    call_cap: Mapped[int | None]  # at most this many call attempts …
    call_cap_days: Mapped[int] = mapped_column(default=7)  # … in this many days (per case)
    conversation_wait_days: Mapped[int] = mapped_column(default=0)  # no call this long after a conversation
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
