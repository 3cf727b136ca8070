"""The agency's own rows: staff and client users, the agency profile, clients and mandates, audit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    COLLECTOR = "collector"
    CLIENT = "client"  # a user of a creditor company, tied to one client

    @property
    def is_staff(self) -> bool:
        return self is not Role.CLIENT


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        enum_check("role", [r.value for r in Role]),
        # A client user belongs to exactly one client; agency staff to none.
        sa.CheckConstraint("(role = 'client') = (client_id IS NOT NULL)", name="client_iff_client_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's id (get_id): raising it ends the user's sessions everywhere at their next
    # request — deactivation, a role change, a new password.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The second factor (TOTP, RFC 6238): its secret once confirmed, and the last time step accepted, so
    # that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    client: Mapped[Client | None] = relationship(back_populates="users")
    # A collector works the cases assigned to them and those in the pools of all their teams.
    teams: Mapped[list[Team]] = relationship(secondary="team_member", back_populates="members", order_by="Team.name")

    def set_password(self, password: str) -> None:
        """Store a slow salted hash (scrypt) of `password`."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Tell whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_staff(self) -> bool:
        return self.role_enum.is_staff

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: with the session version, so a raised version ends it."""
        return f"{self.id}:{self.session_version or 0}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Team(db.Model):
    """A group of collectors sharing a pool of cases; a collector may belong to several."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(secondary="team_member", back_populates="teams", order_by="User.name")


# Who belongs to which team: a collector works the pool of every team they are in.
team_member = sa.Table(
    "team_member",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id"), primary_key=True, index=True),
)


class AgencyProfile(db.Model):
    """The one agency running this platform: the facts every letter must print (R124-2, R124-4)."""

    __tablename__ = "agency_profile"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(sa.String(200))
    legal_form: Mapped[str] = mapped_column(sa.String(60), default="")
    siren: Mapped[str] = mapped_column(sa.String(9), default="")
    registration: Mapped[str] = mapped_column(sa.String(120), default="")  # e.g. "RCS Lyon 123 456 789"
    vat_number: Mapped[str] = mapped_column(sa.String(20), default="")
    address_line1: Mapped[str] = mapped_column(sa.String(200), default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), default="")
    postcode: Mapped[str] = mapped_column(sa.String(16), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="FR")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    trust_bank_name: Mapped[str] = mapped_column(sa.String(120), default="")
    trust_iban: Mapped[str] = mapped_column(sa.String(34), default="")
    trust_bic: Mapped[str] = mapped_column(sa.String(11), default="")
    insurer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    insurance_policy: Mapped[str] = mapped_column(sa.String(60), default="")
    # Declaration to the procureur de la République before starting (R124-2).
    prosecutor_declaration: Mapped[str] = mapped_column(sa.String(200), default="")


class Jurisdiction(StrEnum):
    FR = "FR"
    US = "US"


class RemittanceFrequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Client(db.Model):
    """A creditor company that places its unpaid invoices with the agency."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    legal_form: Mapped[str] = mapped_column(sa.String(60), default="")  # SAS, SARL…: a request to the court names it
    representative: Mapped[str] = mapped_column(sa.String(200), default="")  # e.g. "Mme Claire Roux, présidente"
    siren: Mapped[str] = mapped_column(sa.String(9), default="")
    vat_number: Mapped[str] = mapped_column(sa.String(20), default="")
    address_line1: Mapped[str] = mapped_column(sa.String(200), default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), default="")
    postcode: Mapped[str] = mapped_column(sa.String(16), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="FR")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    # Selects the legal-rate column: the rate depends on the creditor, not the debtor (L313-2).
    is_private_individual: Mapped[bool] = mapped_column(default=False)
    remittance_iban: Mapped[str] = mapped_column(sa.String(34), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="client")
    api_tokens: Mapped[list[ApiToken]] = relationship(order_by="ApiToken.id", viewonly=True)
    mandates: Mapped[list[Mandate]] = relationship(back_populates="client", order_by="Mandate.starts_on")

    def active_mandate(self, on: date) -> Mandate | None:
        """Return the mandate in force on `on`, if any (R124-3: no collection without one)."""
        return next((m for m in self.mandates if m.is_active_on(on)), None)

    def __repr__(self) -> str:
        return f"<Client {self.code}>"


class ClaimsNature(StrEnum):
    SALES = "sales"  # goods and services
    RENT = "rent"  # rent and charges
    CONSUMER_CREDIT = "consumer_credit"


class Mandate(db.Model):
    """The written collection mandate with a client: fee terms, remittance terms, what is claimed."""

    __tablename__ = "mandate"
    __table_args__ = (
        sa.CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="commission_range"),
        sa.CheckConstraint("vat_bp BETWEEN 0 AND 10000", name="vat_range"),
        sa.CheckConstraint("fixed_fee_cents >= 0", name="fixed_fee_non_negative"),
        sa.CheckConstraint("recall_fee_cents >= 0", name="recall_fee_non_negative"),
        sa.CheckConstraint("recall_notice_days BETWEEN 0 AND 365", name="recall_notice_range"),
        sa.CheckConstraint("remittance_delay_days BETWEEN 0 AND 31", name="remittance_delay_range"),
        sa.CheckConstraint(
            "contractual_rate_bp IS NULL OR contractual_rate_bp > 0", name="contractual_rate_positive"
        ),
        sa.CheckConstraint("max_discount_bp BETWEEN 0 AND 10000", name="max_discount_range"),
        sa.CheckConstraint("max_plan_months BETWEEN 1 AND 120", name="max_plan_months_range"),
        sa.CheckConstraint("min_part_payment_cents >= 0", name="min_part_payment_non_negative"),
        sa.CheckConstraint("min_instalment_cents >= 0", name="min_instalment_non_negative"),
        sa.CheckConstraint("min_first_payment_cents >= 0", name="min_first_payment_non_negative"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        enum_check("remittance_frequency", [f.value for f in RemittanceFrequency]),
        enum_check("jurisdiction", [j.value for j in Jurisdiction]),
        enum_check("claims_nature", [n.value for n in ClaimsNature]),
        enum_check("judicial_costs_advanced_by", ["client", "agency"]),
        enum_check("card_fee_borne_by", ["agency", "client"]),
        sa.UniqueConstraint("client_id", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(40))
    signed_on: Mapped[date]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # Commission on collected amounts, in basis points (1 % = 100), plus an optional fee per case.
    commission_bp: Mapped[int] = mapped_column(default=0)
    fixed_fee_cents: Mapped[int] = mapped_column(Cents, default=0)
    vat_bp: Mapped[int] = mapped_column(default=2000)
    remittance_frequency: Mapped[str] = mapped_column(
        sa.String(16), default=RemittanceFrequency.MONTHLY.value
    )
    # R124-6: funds go back to the client within one month of encashment unless agreed otherwise.
    remittance_delay_days: Mapped[int] = mapped_column(default=30)
    # Whether late-payment interest is claimed from debtors (B2B from the due date, B2C from the formal notice).
    claims_penalties: Mapped[bool] = mapped_column(default=True)
    # Whether the €40 fixed recovery indemnity per late invoice is claimed (D441-5; businesses only).
    claims_indemnity: Mapped[bool] = mapped_column(default=False)
    contractual_rate_bp: Mapped[int | None]
    # A payment plan longer than this needs the client's approval, as a settlement beyond max_discount_bp does.
    max_plan_months: Mapped[int] = mapped_column(default=12)
    # Largest discount on the balance the agency may grant in a settlement without asking the client.
    max_discount_bp: Mapped[int] = mapped_column(default=0)
    jurisdiction: Mapped[str] = mapped_column(sa.String(2), default=Jurisdiction.FR.value)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # What the claims are: the court of an injonction de payer depends on it (rent and consumer credit
    # go to the juge des contentieux de la protection).
    claims_nature: Mapped[str] = mapped_column(sa.String(16), default=ClaimsNature.SALES.value)
    # The judicial stage needs the client's mandate for it: whether it is allowed, who advances the
    # court's and commissaire's fees, and the agency's fee terms for that stage.
    judicial_allowed: Mapped[bool] = mapped_column(default=False)
    judicial_costs_advanced_by: Mapped[str] = mapped_column(sa.String(8), default="client")
    judicial_fee_terms: Mapped[str] = mapped_column(sa.Text, default="")
    # A case the client recalls: the fee it owes for it (excl. VAT) and the notice before the case closes.
    recall_fee_cents: Mapped[int] = mapped_column(Cents, default=0)
    recall_notice_days: Mapped[int] = mapped_column(default=0)
    # Paying online: the smallest part payment a debtor may choose (the full balance or the next instalment
    # is always payable), and who bears the card provider's fee: the agency by default, as a cost of
    # collecting that its commission covers, or the client (each paid checkout keeps the fee and who bears it).
    min_part_payment_cents: Mapped[int] = mapped_column(Cents, default=1000)
    card_fee_borne_by: Mapped[str] = mapped_column(sa.String(8), default="agency")
    # Plans the agency agrees without asking the client, whoever proposes them (staff or the debtor online): no
    # instalment below this (the last may hold a smaller remainder), no first payment below that; 0 = no minimum.
    min_instalment_cents: Mapped[int] = mapped_column(Cents, default=0)
    min_first_payment_cents: Mapped[int] = mapped_column(Cents, default=0)


    client: Mapped[Client] = relationship(back_populates="mandates")
    commission_bands: Mapped[list[CommissionBand]] = relationship(
        back_populates="mandate", order_by="(CommissionBand.from_age_days, CommissionBand.from_principal_cents)",
        cascade="all, delete-orphan",
    )

    def is_active_on(self, on: date) -> bool:
        """Tell whether the mandate is in force on `on`."""
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


class CommissionBand(db.Model):
    """A commission rate that replaces the mandate's own for older or larger debts.

    A case takes the band with the highest (from_age_days, from_principal_cents) that it reaches; a case
    reaching none takes the mandate's `commission_bp` (see cases/commission.py).
    """

    __tablename__ = "commission_band"
    __table_args__ = (
        sa.UniqueConstraint("mandate_id", "from_age_days", "from_principal_cents"),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_range"),
        sa.CheckConstraint("from_age_days >= 0 AND from_principal_cents >= 0", name="thresholds_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(sa.ForeignKey("mandate.id"), index=True)
    # Age of the oldest claim at placement (days past due) and principal placed, both inclusive lower bounds.
    from_age_days: Mapped[int] = mapped_column(default=0)
    from_principal_cents: Mapped[int] = mapped_column(Cents, default=0)
    rate_bp: Mapped[int]

    mandate: Mapped[Mandate] = relationship(back_populates="commission_bands")


class ApiToken(db.Model):
    """A client system's key to the placement API. Only a hash is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    prefix: Mapped[str] = mapped_column(sa.String(12))  # the first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256: tokens are long and random
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(db.Model):
    """Who did what, when, to which row, with the values before and after. Never updated or deleted."""

    __tablename__ = "audit_event"
    # Read by subject (a case's history), by client and by time, and by the audit screen, newest first and
    # paged on (created_at, id), by user or by kind of event (reports.audit.trail); every index is paid for
    # at each bulk import, so there is none the screen does not need.
    __table_args__ = (
        sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),
        sa.Index("ix_audit_event_time", "created_at", "id"),
        sa.Index("ix_audit_event_actor_time", "actor_id", "created_at", "id"),
        sa.Index("ix_audit_event_action_time", "action", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The actor as text too, so the trail still reads when the actor is a job, the API or a debtor.
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship()


class PeriodicRun(db.Model):
    """When each periodic job last ran, so the admin can see that scheduled work is alive."""

    __tablename__ = "periodic_run"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
