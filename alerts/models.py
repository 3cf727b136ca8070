"""Alerts and their settings: one row per occurrence a manager should see, kept after it is acknowledged."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.db import BigId, Cents, UTCDateTime, db, enum_check, utcnow
from agency.models import User

DEFAULT_PAYMENT_THRESHOLD_CENTS = 500_000  # €5,000


class AlertKind(StrEnum):
    PROMISE_BROKEN = "promise_broken"
    FUNDS_AGED = "funds_aged"  # trust money held beyond the mandate's remittance delay (R124-6)
    DISPUTE_OPENED = "dispute_opened"
    LARGE_PAYMENT = "large_payment"
    IMPORT_FAILED = "import_failed"
    POOL_UNATTENDED = "pool_unattended"  # a team's pool has due cases and no active member to work them
    # A judicial deadline comes within N days; subject_id = proceeding id × 10,000 + deadline code × 1,000 + N,
    # so each (proceeding, deadline, N) fires once (`alerts.rules.fire_judicial_deadlines`).
    JUDICIAL_DEADLINE = "judicial_deadline"
    # A case's claim is not yet declared in its debtor's insolvency proceedings and the filing deadline comes
    # within N days, or has passed (N = 0); subject_id = case id × 1,000 + N (`alerts.rules.fire_insolvency_claims`).
    INSOLVENCY_CLAIM = "insolvency_claim"
    # A claim's limitation date comes within 90 or 30 days; subject_id = claim id × 1,000,000 + the date's day
    # number × 10 + 1 (90 days) or 2 (30 days): an interrupted claim's new date fires again
    # (`alerts.rules.fire_limitations`).
    LIMITATION = "limitation"


# The deadline a judicial alert is about, as a digit of its subject id (see AlertKind.JUDICIAL_DEADLINE).
DEADLINE_CODES = {"serve_by": 1, "opposition_until": 2, "enforceable_from": 3, "answer_by": 4, "title_expires": 5}
DEADLINE_OF_CODE = {code: kind for kind, code in DEADLINE_CODES.items()}


def judicial_subject(proceeding_id: int, deadline_kind: str, days: int) -> int:
    """Return the subject id of the alert `days` before the proceeding's deadline of `deadline_kind`."""
    return proceeding_id * 10_000 + DEADLINE_CODES[deadline_kind] * 1_000 + days


def judicial_deadline_of(subject_id: int) -> tuple[str, int]:
    """Return (deadline kind, days before it) of a judicial alert's subject id."""
    return DEADLINE_OF_CODE.get(subject_id // 1_000 % 10, ""), subject_id % 1_000


# The "days" of the insolvency alert fired once the filing deadline has passed (the alert days are 1 to 365).
FILING_MISSED = 0


def insolvency_subject(case_id: int, days: int) -> int:
    """Return the subject id of the alert `days` before the filing deadline of the case's claim (0: passed)."""
    return case_id * 1_000 + days


def insolvency_days_of(subject_id: int) -> int:
    """Return the days before the filing deadline of an insolvency alert's subject id (0: the deadline passed)."""
    return subject_id % 1_000


# Most serious first: money kept from a client against the law (R124-6), then what stops work (a failed
# import, a pool nobody works), a court deadline (an order not served in time is void), a claim to declare
# in insolvency proceedings (one filed late is lost unless relieved), then what a collector should act on,
# then good news.
SEVERITY = (
    AlertKind.FUNDS_AGED,
    AlertKind.IMPORT_FAILED,
    AlertKind.POOL_UNATTENDED,
    AlertKind.JUDICIAL_DEADLINE,
    AlertKind.INSOLVENCY_CLAIM,
    AlertKind.LIMITATION,
    AlertKind.PROMISE_BROKEN,
    AlertKind.DISPUTE_OPENED,
    AlertKind.LARGE_PAYMENT,
)
# A team's pool can go unattended again after it was attended: each spell is its own occurrence.
RECURRING = (AlertKind.POOL_UNATTENDED,)
_RECURRING_SQL = ", ".join(f"'{kind.value}'" for kind in RECURRING)


def severity_order() -> sa.ColumnElement[int]:
    """Return the ORDER BY term putting the most serious kinds first."""
    return sa.case({kind.value: rank for rank, kind in enumerate(SEVERITY)}, value=Alert.kind, else_=len(SEVERITY))


class Alert(db.Model):
    """One occurrence of a rule: fired once (unique kind and subject), open until acknowledged or cleared.

    `subject_id` is the row the occurrence is about: the promise, the payment, the dispute hold, the
    placement or the team, according to the kind. `occurred_on` is the day of the event itself (the
    promise's date, the payment's, the dispute's opening), not the day the rule noticed it.
    `cleared_at` is set when the condition stopped holding before anyone acknowledged it (the funds
    were remitted, the dispute resolved, the import run again); an unattended pool's alert is cleared
    even once acknowledged, so that the pool's next unattended spell fires again.
    """

    __tablename__ = "alert"
    __table_args__ = (
        enum_check("kind", [k.value for k in AlertKind]),
        # The dedup key: a rule never fires twice for the same occurrence; a recurring kind once per spell.
        sa.Index("uq_alert_occurrence", "kind", "subject_id", unique=True,
                 postgresql_where=sa.text(f"kind NOT IN ({_RECURRING_SQL})"),
                 sqlite_where=sa.text(f"kind NOT IN ({_RECURRING_SQL})")),
        sa.Index("uq_alert_spell", "kind", "subject_id", unique=True,
                 postgresql_where=sa.text(f"kind IN ({_RECURRING_SQL}) AND cleared_at IS NULL"),
                 sqlite_where=sa.text(f"kind IN ({_RECURRING_SQL}) AND cleared_at IS NULL")),
        sa.Index("ix_alert_open", "acknowledged_at", "cleared_at", "fired_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id"), index=True)  # none for a pool
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("collection_case.id"))
    placement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("placement.id"))
    amount_cents: Mapped[int | None] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    occurred_on: Mapped[date]  # the agency's day of the event
    fired_on: Mapped[date]  # the agency's day it fired
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # When the digest e-mail carried it; each alert is sent once.
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client = relationship("Client")
    case = relationship("Case")
    placement = relationship("Placement")
    team = relationship("Team")
    acknowledged_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.cleared_at is None


class AlertSettings(db.Model):
    """The agency's alert settings (one row): the payment threshold and the daily digest."""

    __tablename__ = "alert_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("payment_threshold_cents > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    payment_threshold_cents: Mapped[int] = mapped_column(Cents, default=DEFAULT_PAYMENT_THRESHOLD_CENTS)
    digest_enabled: Mapped[bool] = mapped_column(default=False)
    # Ids of the managers and admins who receive the digest.
    digest_recipient_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
