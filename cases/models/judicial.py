"""Judicial escalation: the figures the law sets (as dated data), proceedings, their steps, costs and titles.

A proceeding is proposed on a case, approved by a manager and by the client, then followed step by step
until the debt is paid or found unenforceable. Steps, costs and documents are only ever added: a step
recorded in error is answered by another step, never edited, so what the client saw stays true.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User
from cases.models.case import Case


class Route(StrEnum):
    SMALL_CLAIMS = "small_claims"  # petites créances (CPCE L125-1), through a commissaire de justice
    ORDER_COMMERCIAL = "order_commercial"  # injonction de payer, tribunal de commerce (Cerfa 12946)
    ORDER_JUDICIAL = "order_judicial"  # injonction de payer, tribunal judiciaire (Cerfa 12948)
    ORDER_PROTECTION = "order_protection"  # injonction de payer, juge des contentieux de la protection (16040)
    REFERRAL = "referral"  # handed to a lawyer or a commissaire de justice


ORDER_ROUTES = (Route.ORDER_COMMERCIAL, Route.ORDER_JUDICIAL, Route.ORDER_PROTECTION)


class Stage(StrEnum):
    PROPOSED = "proposed"  # waits for a manager
    AWAITING_CLIENT = "awaiting_client"  # a manager approved; waits for the client
    REFUSED = "refused"  # the client (or a manager) said no: the case is back with the agency
    WITHDRAWN = "withdrawn"
    PREPARING = "preparing"  # both approved: the file is prepared
    FILED = "filed"  # the request is with the court
    ORDER_ISSUED = "order_issued"  # to be served before its deadline
    ORDER_REFUSED = "order_refused"
    SERVED = "served"  # the opposition window runs
    OPPOSED = "opposed"  # the debtor opposed: a lawyer takes it
    INVITED = "invited"  # small claims: the debtor has a month to answer
    AGREED = "agreed"  # small claims: the debtor accepted; the title is to be issued
    DECLINED = "declined"  # small claims: refused or silent; an order may be proposed
    REFERRED = "referred"  # with a lawyer or a commissaire de justice
    ENFORCEABLE = "enforceable"  # a title the agency may enforce
    ENFORCEMENT = "enforcement"  # handed to a commissaire de justice for enforcement
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    UNENFORCEABLE = "unenforceable"
    LAPSED = "lapsed"  # the order was not served in time: void


CLOSED_STAGES = (Stage.REFUSED, Stage.WITHDRAWN, Stage.ORDER_REFUSED, Stage.PAID, Stage.UNENFORCEABLE,
                 Stage.LAPSED, Stage.DECLINED)


class StepKind(StrEnum):
    PROPOSED = "proposed"
    MANAGER_APPROVED = "manager_approved"
    CLIENT_APPROVED = "client_approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    PACK_PREPARED = "pack_prepared"
    FILED = "filed"
    ORDER_ISSUED = "order_issued"
    ORDER_PARTLY_GRANTED = "order_partly_granted"
    ORDER_REFUSED = "order_refused"
    SERVED = "served"
    OPPOSITION = "opposition"
    ENFORCEABLE = "enforceable"
    INVITATION_SENT = "invitation_sent"
    DEBTOR_ACCEPTED = "debtor_accepted"
    DEBTOR_DECLINED = "debtor_declined"
    TITLE_ISSUED = "title_issued"
    REFERRED = "referred"
    ENFORCEMENT = "enforcement"
    ENFORCEMENT_ACT = "enforcement_act"
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    UNENFORCEABLE = "unenforceable"
    LAPSED = "lapsed"


class CostPayer(StrEnum):
    CLIENT = "client"
    AGENCY = "agency"


class JudicialSetting(db.Model):
    """One figure of the law (a threshold, a fee, a deadline, a form's version) from the day it applies.

    Rows are added, never changed: the figure on a day is the one of the latest row starting on or
    before it, so a new tariff or decree applies from its date and no past step's deadline moves.
    """

    __tablename__ = "judicial_setting"
    __table_args__ = (sa.UniqueConstraint("key", "valid_from", name="uq_judicial_setting_key_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    valid_from: Mapped[date]
    value: Mapped[str] = mapped_column(sa.String(120))
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # the text that sets it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class Proceeding(db.Model):
    """A case's judicial route, from its proposal to its end."""

    __tablename__ = "judicial_proceeding"
    __table_args__ = (
        enum_check("route", [r.value for r in Route]),
        enum_check("suggested_route", [r.value for r in Route]),
        enum_check("stage", [s.value for s in Stage]),
        enum_check("costs_advanced_by", [p.value for p in CostPayer]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["collection_case.id", "collection_case.client_id"],
                                name="fk_judicial_proceeding_case_client"),
        sa.Index("ix_judicial_proceeding_deadline", "next_deadline_on"),
        sa.Index("ix_judicial_proceeding_client_stage", "client_id", "stage"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    case_id: Mapped[int] = mapped_column(index=True)
    client_id: Mapped[int]
    route: Mapped[str] = mapped_column(sa.String(20))
    suggested_route: Mapped[str] = mapped_column(sa.String(20))
    suggestion_reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # why, in words staff read
    route_reason: Mapped[str] = mapped_column(sa.Text, default="")  # why another route than the suggestion
    court: Mapped[str] = mapped_column(sa.String(200), default="")
    form: Mapped[str] = mapped_column(sa.String(40), default="")  # e.g. "Cerfa 12946*02", as on the day
    stage: Mapped[str] = mapped_column(sa.String(20), default=Stage.PROPOSED.value)
    claimed_cents: Mapped[int] = mapped_column(Cents, default=0)  # the total claimed when proposed
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    costs_advanced_by: Mapped[str] = mapped_column(sa.String(8), default=CostPayer.CLIENT.value)
    next_deadline_on: Mapped[date | None]
    next_deadline_kind: Mapped[str] = mapped_column(sa.String(24), default="")
    case_status_before: Mapped[str] = mapped_column(sa.String(12), default="")  # given back if it ends early
    pack_path: Mapped[str] = mapped_column(sa.String(255), default="")
    pack_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    pack_on: Mapped[date | None]  # the filing date the pack's statement of account is computed at
    # Each part of the pack as stored: {"request": {"path": …, "sha256": …}, "statement": …, "bordereau": …}.
    pack_parts: Mapped[dict | None] = mapped_column(sa.JSON)
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    proposed_by: Mapped[User | None] = relationship()
    steps: Mapped[list[JudicialStep]] = relationship(back_populates="proceeding", order_by="JudicialStep.id")
    costs: Mapped[list[JudicialCost]] = relationship(back_populates="proceeding", order_by="JudicialCost.id")
    documents: Mapped[list[JudicialDocument]] = relationship(back_populates="proceeding",
                                                             order_by="JudicialDocument.id")
    title: Mapped[JudicialTitle | None] = relationship(back_populates="proceeding", uselist=False)

    @property
    def is_open(self) -> bool:
        return Stage(self.stage) not in CLOSED_STAGES


class JudicialStep(db.Model):
    """One step of a proceeding, on the day it happened, recorded by a user with what proves it."""

    __tablename__ = "judicial_step"
    __table_args__ = (enum_check("kind", [k.value for k in StepKind]),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("judicial_proceeding.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    occurred_on: Mapped[date]
    deadline_on: Mapped[date | None]  # the deadline this step opened, fixed when it was recorded
    note: Mapped[str] = mapped_column(sa.Text, default="")
    internal: Mapped[bool] = mapped_column(default=False)  # an internal note: staff only
    document_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("judicial_document.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    proceeding: Mapped[Proceeding] = relationship(back_populates="steps")
    document: Mapped[JudicialDocument | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class JudicialCost(db.Model):
    """A fee advanced for the proceeding: the client's or the agency's until a title puts it on the debtor."""

    __tablename__ = "judicial_cost"
    __table_args__ = (
        enum_check("advanced_by", [p.value for p in CostPayer]),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("judicial_proceeding.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))  # greffe, small_claims_filing, small_claims_title, …
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    incurred_on: Mapped[date]
    advanced_by: Mapped[str] = mapped_column(sa.String(8))
    # Set when an enforceable title covers it: its ledger entry puts it on the debtor's balance (L111-8).
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("ledger_entry.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    proceeding: Mapped[Proceeding] = relationship(back_populates="costs")


class JudicialDocument(db.Model):
    """A document of the judicial file: a contract or order uploaded, or the proof of a step."""

    __tablename__ = "judicial_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("judicial_proceeding.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))  # contract, order, proof, title, other
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))
    media_type: Mapped[str] = mapped_column(sa.String(80))
    file_path: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    proceeding: Mapped[Proceeding] = relationship(back_populates="documents")
    created_by: Mapped[User | None] = relationship()


class JudicialTitle(db.Model):
    """The enforceable title a proceeding obtained (CPCE L111-3), with what it awards and its life."""

    __tablename__ = "judicial_title"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("judicial_proceeding.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # L111-3: "order" (1°), "small_claims" (5°), …
    court: Mapped[str] = mapped_column(sa.String(200), default="")
    number: Mapped[str] = mapped_column(sa.String(60), default="")
    issued_on: Mapped[date]
    served_on: Mapped[date | None]
    enforceable_on: Mapped[date | None]
    expires_on: Mapped[date | None]  # 10 years for a court decision (L111-4)
    principal_cents: Mapped[int] = mapped_column(Cents, default=0)
    interest_cents: Mapped[int] = mapped_column(Cents, default=0)  # as set by the title, to its date
    interest_from: Mapped[date | None]  # interest runs from then at the title's rate
    article_700_cents: Mapped[int] = mapped_column(Cents, default=0)
    costs_cents: Mapped[int] = mapped_column(Cents, default=0)  # costs the title puts on the debtor
    # Fixed when the title becomes enforceable, from the settings of that day (L313-3): the legal rate is
    # increased by `increase_bp` from `increase_on`; a later change of the settings never moves them.
    increase_on: Mapped[date | None]
    increase_bp: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    proceeding: Mapped[Proceeding] = relationship(back_populates="title")
    claim_shares: Mapped[list[TitleClaim]] = relationship(back_populates="title", order_by="TitleClaim.claim_id")


class TitleClaim(db.Model):
    """The part of a title's fixed interest (interest the title sets to its date) that falls on one claim.

    The interest engine runs per claim: the title's lump is shared over the claims in proportion to their
    principal when the title becomes enforceable, so each claim's interest is that share plus the legal
    rate from the title's start.
    """

    __tablename__ = "judicial_title_claim"

    title_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("judicial_title.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"), primary_key=True, index=True)
    interest_cents: Mapped[int] = mapped_column(Cents, default=0)

    title: Mapped[JudicialTitle] = relationship(back_populates="claim_shares")
