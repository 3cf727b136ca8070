"""Limitation (prescription, LEGAL-FR §6): each claim's limitation date, computed set-based in SQL.

Periods run from the claim's due date (the law's figures, as constants since they have not changed):
    a professional against a consumer (B2C case)   2 years   C. consom. L218-2
    between traders (B2B case)                     5 years   C. com. L110-4
A period in years ends on the day bearing the same number in its last year, the last day of the month
when there is none (CPC 641: due 29 February 2024, two years end on 28 February 2026). `limitation_on`
is that last day; from the next day the claim is prescribed.

Interrupted — a new full period from the event (C. civ. 2231) — by the debtor's acknowledgement (2240):
a promise recorded from a call, a payment plan asked for or agreed (whatever became of it since: the
request itself acknowledges the debt), a partial payment allocated to the claim (unless reversed: a
bounced payment paid nothing); by the service of an order to pay (2241) and by an enforcement act
(2244). An event after the claim was already prescribed interrupts nothing: a prescription acquired can
only be renounced (2250-2251), which is for a lawyer to judge, not for this computation.
A formal notice never interrupts, even by registered letter (Cass. com. 18 May 2022, n° 20-23.204):
letters are not among the events.
Suspended (2230, 2238) from the debtor's acceptance of the small-claims procedure until it ends (the
title issued, the debtor declining, the procedure withdrawn or refused): its days are added to the
period under way; while it lasts the date moves on with each day.

Where it is kept: `claim_limitation`, refreshed for every claim by the daily job with one
INSERT … SELECT … ON CONFLICT UPDATE (only rows that changed are written) — what the alerts, the
managers' list and the queue read, "as of" that run. The case page and every sender (letters, SMS,
e-mails, the strategy) compute their own case's claims live with the same SELECT, so an event recorded
today counts at once where it matters, without each operation that records one (promises and judicial
steps here, payments and plans in `money`) calling back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agency.db import UTCDateTime, db, local_day, utcnow
from agency.page_reads import read_once
from cases.models import Case, CaseKind, Claim, JudicialStep, LedgerEntry, Proceeding, Promise, StepKind
from cases.models.limitation import ClaimLimitation

YEARS_B2C = 2  # C. consom. L218-2
YEARS_B2B = 5  # C. com. L110-4
INTERRUPTING_STEPS = (StepKind.SERVED.value, StepKind.ENFORCEMENT_ACT.value)  # C. civ. 2241, 2244
SUSPENDING_STEP = StepKind.DEBTOR_ACCEPTED.value  # C. civ. 2238
SUSPENSION_ENDS = (StepKind.TITLE_ISSUED.value, StepKind.DEBTOR_DECLINED.value, StepKind.WITHDRAWN.value,
                   StepKind.REFUSED.value)
ALERT_DAYS = (90, 30)  # alerts before a claim's limitation date, largest first
NEAR_DAYS = ALERT_DAYS[0]  # the queue and the managers' list look this far ahead
# The plan table belongs to `money`, above `cases`: read by its name, never imported.
_plan = sa.table("payment_plan", sa.column("id", sa.BigInteger), sa.column("case_id", sa.Integer),
                 sa.column("starts_on", sa.Date))
COLUMNS = ("claim_id", "case_id", "client_id", "period_years", "started_on", "event_kind", "event_id",
           "suspended_days", "suspended_since", "limitation_on", "computed_at")


# --- dates in SQL, on both databases ----------------------------------------------------------------


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def add_years(day, years) -> sa.ColumnElement:
    """`day` plus `years` years, 29 February giving 28 February (CPC 641)."""
    if _postgres():
        return sa.cast(day + sa.func.make_interval(years), sa.Date)
    shift = sa.literal("+") + sa.cast(years, sa.String) + sa.literal(" years")
    # SQLite rolls 29 February over to 1 March; the month's last day caps it.
    return sa.func.min(sa.func.date(day, shift),
                       sa.func.date(day, "start of month", shift, "+1 month", "-1 day"), type_=sa.Date)


def add_days(day, days) -> sa.ColumnElement:
    if _postgres():
        return sa.cast(day + sa.cast(days, sa.Integer), sa.Date)
    return sa.func.date(day, sa.literal("+") + sa.cast(days, sa.String) + sa.literal(" days"), type_=sa.Date)


def days_between(later, earlier) -> sa.ColumnElement[int]:
    if _postgres():
        return later - earlier
    return sa.cast(sa.func.julianday(later) - sa.func.julianday(earlier), sa.Integer)


def _greatest(a, b) -> sa.ColumnElement:
    return sa.func.greatest(a, b) if _postgres() else sa.func.max(a, b)


def _least(a, b) -> sa.ColumnElement:
    return sa.func.least(a, b) if _postgres() else sa.func.min(a, b)


def day_number(day) -> sa.ColumnElement[int]:
    """Days from 1 January 2000 to `day`: a date inside an integer (the alerts' subject)."""
    return days_between(day, sa.literal(date(2000, 1, 1), sa.Date))


# --- the computation -----------------------------------------------------------------------------------


def limitation_select(today: date, case_ids: list[int] | None = None) -> tuple[sa.Select, dict]:
    """Return SELECT of `COLUMNS` for every claim (or those of `case_ids`), computed as the module says, and the
    values to execute it with. The statement is built once per shape (a case page asks it on each display)."""
    statement = _limitation_statement(case_ids is not None, _postgres(), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    values = {"limitation_today": today, "limitation_at": utcnow()}
    if case_ids is not None:
        values["limitation_cases"] = list(case_ids)
    return statement, values


@cache
def _limitation_statement(by_case: bool, postgres: bool, zone: str) -> sa.Select:
    # `postgres` keys the cache: the date arithmetic below is written for the database in use.
    today = sa.bindparam("limitation_today", type_=sa.Date)
    cases = sa.bindparam("limitation_cases", expanding=True)

    def only(column) -> list:
        return [column.in_(cases)] if by_case else []

    on_day = today
    claims = (
        sa.select(Claim.id.label("claim_id"), Claim.case_id, Claim.client_id, Claim.due_date,
                  sa.case((Case.kind == CaseKind.B2C.value, YEARS_B2C), else_=YEARS_B2B).label("years"))
        .join(Case, Case.id == Claim.case_id).where(*only(Claim.case_id))
        .cte("claims")
    )
    events = _events(only, today, zone).subquery("events")
    counted = sa.or_(events.c.kind == "due_date",
                     sa.and_(events.c.event_on >= claims.c.due_date, events.c.event_on <= on_day))
    ordered = (
        sa.select(events.c.claim_id, events.c.event_on, events.c.kind, events.c.ref, claims.c.years,
                  sa.func.lag(events.c.event_on).over(partition_by=events.c.claim_id,
                                                order_by=(events.c.event_on, events.c.ref)).label("prev"))
        .join(claims, claims.c.claim_id == events.c.claim_id).where(counted)
        .cte("ordered")
    )
    # The first event after the period before it had run out: it and those after it interrupt nothing.
    gaps = (
        sa.select(ordered.c.claim_id, sa.func.min(ordered.c.event_on).label("gap_on"))
        .where(ordered.c.prev.is_not(None), ordered.c.event_on > add_years(ordered.c.prev, ordered.c.years))
        .group_by(ordered.c.claim_id).subquery("gaps")
    )
    real_first = sa.case((ordered.c.kind == "due_date", 1), else_=0)
    ranked = (
        sa.select(ordered.c.claim_id, ordered.c.event_on, ordered.c.kind, ordered.c.ref, sa.func.row_number().over(
            partition_by=ordered.c.claim_id, order_by=(ordered.c.event_on.desc(), real_first, ordered.c.ref.desc()),
        ).label("rank"))
        .outerjoin(gaps, gaps.c.claim_id == ordered.c.claim_id)
        .where(sa.or_(gaps.c.gap_on.is_(None), ordered.c.event_on < gaps.c.gap_on))
        .subquery("ranked")
    )
    last = (
        sa.select(claims, ranked.c.event_on.label("started_on"), ranked.c.kind.label("event_kind"),
                  ranked.c.ref.label("event_id"), add_years(ranked.c.event_on, claims.c.years).label("plain_end"))
        .join(ranked, sa.and_(ranked.c.claim_id == claims.c.claim_id, ranked.c.rank == 1))
        .cte("last")
    )
    suspended = _suspensions(last, only, on_day).subquery("suspended")
    days = sa.func.coalesce(suspended.c.days, 0)
    return (
        sa.select(last.c.claim_id, last.c.case_id, last.c.client_id, last.c.years, last.c.started_on,
                  last.c.event_kind, last.c.event_id, days, suspended.c.since,
                  add_days(last.c.plain_end, days), sa.bindparam("limitation_at", type_=UTCDateTime()))
        .outerjoin(suspended, suspended.c.claim_id == last.c.claim_id)
    )


def _events(only, today, zone: str) -> sa.CompoundSelect:
    """Return SELECT (claim_id, on, kind, ref) of each claim's due date and of what may interrupt it."""
    bigint = sa.BigInteger()
    reversal = sa.orm.aliased(LedgerEntry)
    due = sa.select(Claim.id, Claim.due_date, sa.literal("due_date"), sa.cast(sa.null(), bigint)).where(
        *only(Claim.case_id))
    promises = (
        sa.select(Claim.id, local_day(Promise.created_at, zone), sa.literal("promise"), sa.cast(Promise.id, bigint))
        .join(Promise, Promise.case_id == Claim.case_id).where(*only(Claim.case_id))
    )
    plans = (
        sa.select(Claim.id, _plan.c.starts_on, sa.literal("plan"), sa.cast(_plan.c.id, bigint))
        .join(_plan, _plan.c.case_id == Claim.case_id).where(*only(Claim.case_id))
    )
    payments = sa.select(
        LedgerEntry.claim_id, LedgerEntry.effective_on, sa.literal("payment"), sa.cast(LedgerEntry.payment_id, bigint)
    ).where(
        LedgerEntry.kind == "payment", LedgerEntry.claim_id.is_not(None), LedgerEntry.effective_on <= today,
        ~sa.exists().where(reversal.reverses_id == LedgerEntry.id), *only(LedgerEntry.case_id),
    )
    steps = (
        sa.select(Claim.id, JudicialStep.occurred_on, JudicialStep.kind, sa.cast(JudicialStep.id, bigint))
        .join(Proceeding, Proceeding.case_id == Claim.case_id)
        .join(JudicialStep, JudicialStep.proceeding_id == Proceeding.id)
        .where(JudicialStep.kind.in_(INTERRUPTING_STEPS), *only(Claim.case_id))
    )
    labels = ("claim_id", "event_on", "kind", "ref")
    return sa.union_all(*(query.with_only_columns(*(column.label(name) for column, name in
                                                    zip(query.selected_columns, labels, strict=True)))
                          for query in (due, promises, plans, payments, steps)))


def _suspensions(last, only, on_day) -> sa.Select:
    """Return SELECT (claim_id, days, since) of the suspension days within each claim's period under way."""
    accepted = sa.orm.aliased(JudicialStep)
    ending = sa.orm.aliased(JudicialStep)
    until = (
        sa.select(sa.func.min(ending.occurred_on))
        .where(ending.proceeding_id == accepted.proceeding_id, ending.kind.in_(SUSPENSION_ENDS),
               ending.occurred_on >= accepted.occurred_on)
        .scalar_subquery()
    )
    spans = (
        sa.select(Proceeding.case_id, accepted.occurred_on.label("start"), until.label("until"))
        .join(accepted, accepted.proceeding_id == Proceeding.id)
        .where(accepted.kind == SUSPENDING_STEP, accepted.occurred_on <= on_day, *only(Proceeding.case_id))
        .subquery("spans")
    )
    end = sa.func.coalesce(spans.c.until, on_day)
    begin = _greatest(spans.c.start, last.c.started_on)
    return (
        sa.select(last.c.claim_id, sa.func.sum(days_between(_least(end, on_day), begin)).label("days"),
                  sa.func.max(sa.case((spans.c.until.is_(None), spans.c.start))).label("since"))
        .join(spans, spans.c.case_id == last.c.case_id)
        .where(end > last.c.started_on, spans.c.start <= last.c.plain_end)
        .group_by(last.c.claim_id)
    )


def refresh_limitations(today: date, case_ids: list[int] | None = None) -> int:
    """Store every claim's limitation (or those of `case_ids`) in one statement; return how many rows changed."""
    insert = pg_insert if _postgres() else sqlite_insert
    select, values = limitation_select(today, case_ids)
    # Values bound into the SELECT: an ORM INSERT executed with a dict would read it as rows to insert.
    statement = insert(ClaimLimitation).from_select(COLUMNS, select.params(values))
    new = statement.excluded
    changed = sa.or_(*(getattr(ClaimLimitation, name).is_distinct_from(getattr(new, name))
                       for name in COLUMNS[3:-1]))
    statement = statement.on_conflict_do_update(
        index_elements=["claim_id"], set_={name: getattr(new, name) for name in COLUMNS[1:]}, where=changed,
    ).returning(ClaimLimitation.claim_id)
    if _postgres():
        # The planner cannot size the window CTEs (it guesses billions of rows) and would spend seconds
        # compiling the statement with JIT for a run that takes a few more: for this transaction, no JIT.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    return len(db.session.execute(statement.execution_options(synchronize_session=False)).all())


# --- one case, live ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimLimitationView:
    """A claim's limitation as the case page shows it and the senders ask it."""

    claim_id: int
    invoice_number: str
    due_date: date
    period_years: int
    started_on: date
    event_kind: str
    event_id: int | None
    suspended_days: int
    suspended_since: date | None
    limitation_on: date
    outstanding_cents: int
    today: date

    @property
    def prescribed(self) -> bool:
        """Prescribed with something still owed on it: it can no longer be demanded."""
        return self.today > self.limitation_on and self.suspended_since is None and self.outstanding_cents > 0

    @property
    def days_left(self) -> int:
        return (self.limitation_on - self.today).days

    @property
    def near(self) -> bool:
        return not self.prescribed and self.outstanding_cents > 0 and 0 <= self.days_left <= NEAR_DAYS


@read_once(key=lambda case, today: (case.id, today))
def case_limitations(case: Case, today: date) -> list[ClaimLimitationView]:
    """Compute, live, the limitation of each claim of `case` on `today`, with what each still owes.

    A case page asks it from several panels (the limitation card, the letters' and messages' refusals).
    """
    rows = db.session.execute(*limitation_select(today, [case.id])).all()
    owed = dict(db.session.execute(
        sa.select(LedgerEntry.claim_id, sa.func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.case_id == case.id, LedgerEntry.claim_id.is_not(None)).group_by(LedgerEntry.claim_id)
    ).all())
    claims = {claim.id: claim for claim in case.claims}
    views = [
        ClaimLimitationView(row[0], claims[row[0]].invoice_number, claims[row[0]].due_date, row[3], row[4], row[5],
                            row[6], row[7], row[8], row[9], int(owed.get(row[0]) or 0), today)
        for row in rows
    ]
    return sorted(views, key=lambda view: (view.limitation_on, view.invoice_number))


def prescribed_refusal(case: Case, today: date) -> str | None:
    """Return why no demand for payment may go on `case` (a claim of it is prescribed), or None."""
    prescribed = [view for view in case_limitations(case, today) if view.prescribed]
    if not prescribed:
        return None
    return _(
        "Prescribed claim: invoice %(invoices)s can no longer be demanded (limitation reached on %(date)s). "
        "Propose closing the case.",
        invoices=", ".join(view.invoice_number for view in prescribed),
        date=format_date(prescribed[0].limitation_on),
    )


def claim_outstanding(claim_id) -> sa.ScalarSelect:
    """Return the scalar subquery of what is still owed on a claim (its ledger entries)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.claim_id == claim_id).scalar_subquery()
    )

