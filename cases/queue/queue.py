"""The work queue: each open case's priority, and which cases wait for a collector.

Priority (`Case.queue_score`, higher first) is the sum of seven integer parts. `refresh_scores`
recomputes it for every open case in one UPDATE … FROM (the daily job, `cases.queue.jobs`), and for a
single case when a collector finishes it; `explain_score` lists a case's parts for the case screen.

    amount outstanding (sum of the ledger)   >= 10,000: 300  >= 5,000: 240  >= 2,000: 180
                                             >= 1,000: 120   >= 500: 80     >= 100: 40   > 0: 10
    age (days since the oldest claim fell due)  >= 365: 100  >= 180: 80  >= 90: 60  >= 60: 40  >= 30: 20
    a promise broken in the last 7 days, with no call made since        500 (back to the top)
      (or a payment plan broken in the last 7 days, no call made since: `money` adds it, see
       `cases.extensions`)
    a pending promise falling due today                                 200
    a callback the debtor asked for, due by the end of today
      (and not more than 7 days ago)                                    300
    the debtor's risk score (0-100, higher is riskier), as is            0-100
    a claim still owed whose limitation date comes within 90 days
      (as the daily limitation job stored it, `cases.closing.limitation`) 250

"Today" is the agency's day (BABEL_DEFAULT_TIMEZONE) of `now`; amounts are in the case's currency.

A collector's queue is the open cases assigned to them plus the unassigned cases of the pools of
all their teams. `waiting` lists, best first, those whose next action is due, that nobody holds and whose debtor
has no hold: "Next" (`cases.queue.leases`) takes the first the contact rules let us call now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from agency.db import UTCDateTime, db
from agency.models import User
from agency.money import format_money
from cases import extensions
from cases.closing.limitation import NEAR_DAYS, claim_outstanding
from cases.ledger import balance
from cases.models import Action, Case, CaseStatus, Claim, ClaimLimitation, LedgerEntry, Promise
from debtors.models import Debtor, Hold

QUEUE_STATUSES = (CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.PROMISE, CaseStatus.PLAN)
OPEN_STATUSES = tuple(s.value for s in CaseStatus if s.is_open)
AMOUNT_TIERS = ((1_000_000, 300), (500_000, 240), (200_000, 180), (100_000, 120), (50_000, 80), (10_000, 40), (1, 10))
AGE_TIERS = ((365, 100), (180, 80), (90, 60), (60, 40), (30, 20))  # days past due, points
BROKEN_PROMISE, PROMISE_DUE, CALLBACK, RISK_MAX = 500, 200, 300, 100
LIMITATION_NEAR = 250  # act before the claim is lost
RECENT = timedelta(days=7)  # how far back a broken promise or a callback still counts

# Written out (not bound) so that PostgreSQL can tell that the partial indexes below apply, even to
# a generic prepared plan.
_QUEUED = "next_action_at IS NOT NULL AND status IN ({})".format(", ".join(f"'{s.value}'" for s in QUEUE_STATUSES))
IN_QUEUE = sa.text("collection_case.status IN ({})".format(", ".join(f"'{s.value}'" for s in QUEUE_STATUSES)))
UNASSIGNED = sa.text("collection_case.assigned_collector_id IS NULL")

# The two walks "Next" takes, in score order: a collector's own cases, and a team's pool.
sa.Index("ix_case_queue_collector", Case.assigned_collector_id, Case.queue_score.desc(), Case.next_action_at,
         Case.id, postgresql_where=sa.text(_QUEUED), sqlite_where=sa.text(_QUEUED))  # fmt: skip
sa.Index("ix_case_queue_pool", Case.team_id, Case.queue_score.desc(), Case.next_action_at, Case.id,
         postgresql_where=sa.text(f"{_QUEUED} AND assigned_collector_id IS NULL"),
         sqlite_where=sa.text(f"{_QUEUED} AND assigned_collector_id IS NULL"))  # fmt: skip


class QueueError(ValueError):
    """The queue operation cannot be done; the message says why, for the user."""


# --- priority -----------------------------------------------------------------------------------


def agency_day(now: datetime) -> date:
    """Return the agency's calendar day at `now`."""
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _end_of_day(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).astimezone(ZoneInfo("UTC"))


def _tier(value: int, tiers: tuple[tuple[int, int], ...]) -> int:
    return next((points for floor, points in tiers if value >= floor), 0)


def refresh_scores(now: datetime, case_ids: list[int] | None = None) -> int:
    """Recompute `queue_score` of every open case (or of `case_ids`) in one statement; return how many changed."""
    params = _score_params(now)
    if case_ids is not None:
        params["ids"] = list(case_ids)
    return db.session.execute(_refresh_statement(case_ids is not None), params).rowcount


def _score_params(now: datetime) -> dict:
    """Return the dates the score's parts compare with, for the agency's day of `now`."""
    day = agency_day(now)
    ages = {f"age_{days}": day - timedelta(days=days) for days, _points in AGE_TIERS}
    return {"day": day, "promise_from": day - 2 * RECENT, "recent_from": now - RECENT,
            "day_end": _end_of_day(day), "limitation_until": day + timedelta(days=NEAR_DAYS), **ages}  # fmt: skip


@cache
def _refresh_statement(some: bool) -> sa.Update:
    """Build the UPDATE … FROM once (bound parameters carry the day): it is long to put together."""
    scored = _scores(some).subquery("scored")
    return (
        sa.update(Case)
        .where(Case.id == scored.c.id, Case.queue_score != scored.c.score)
        .values(queue_score=scored.c.score)
        .execution_options(synchronize_session=False)
    )


def _scores(some: bool) -> sa.Select:
    """Return SELECT (id, score) of the open cases, every part computed set-based as documented above."""

    def only(column) -> list:  # pushed into each aggregate, so one case does not sum the whole ledger
        return [column.in_(sa.bindparam("ids", expanding=True))] if some else []

    case = sa.orm.aliased(Case)
    owed = (
        sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents).label("cents"))
        .where(*only(LedgerEntry.case_id))
        .group_by(LedgerEntry.case_id)
        .subquery("owed")
    )
    oldest = (
        sa.select(Claim.case_id, sa.func.min(Claim.due_date).label("due_date"))
        .where(*only(Claim.case_id))
        .group_by(Claim.case_id)
        .subquery("oldest")
    )
    promises = _promise_flags(only(Promise.case_id)).subquery("promises")
    limitation = _limitation_near(only(ClaimLimitation.case_id)).subquery("limitation")
    broken = [c.flags(only).subquery(f"broken_{i}") for i, c in enumerate(extensions.broken_commitments())]
    risk = sa.func.coalesce(Debtor.risk_score, 0)
    score = (
        sa.case(*[(owed.c.cents >= floor, points) for floor, points in AMOUNT_TIERS], else_=0)
        + sa.case(*[(oldest.c.due_date <= sa.bindparam(f"age_{d}"), p) for d, p in AGE_TIERS], else_=0)
        + sa.case((sa.or_(promises.c.broken == 1, *[b.c.broken == 1 for b in broken]), BROKEN_PROMISE), else_=0)
        + sa.func.coalesce(promises.c.due_today, 0) * PROMISE_DUE
        + sa.case((case.callback_at.between(sa.bindparam("recent_from"), sa.bindparam("day_end")), CALLBACK), else_=0)
        + sa.case((risk > RISK_MAX, RISK_MAX), (risk < 0, 0), else_=risk)
        + sa.case((limitation.c.case_id.is_not(None), LIMITATION_NEAR), else_=0)
    )
    select = (
        sa.select(case.id.label("id"), score.label("score"))
        .join(Debtor, Debtor.id == case.debtor_id)
        .outerjoin(owed, owed.c.case_id == case.id)
        .outerjoin(oldest, oldest.c.case_id == case.id)
        .outerjoin(promises, promises.c.case_id == case.id)
        .outerjoin(limitation, limitation.c.case_id == case.id)
        .where(case.status.in_(OPEN_STATUSES), *only(case.id))
    )
    for flags in broken:
        select = select.outerjoin(flags, flags.c.case_id == case.id)
    return select


def _promise_flags(where: list) -> sa.Select:
    """Return SELECT (case_id, broken, due_today) over the promises that count today, per case."""
    called_since = sa.exists().where(
        Action.case_id == Promise.case_id,
        Action.kind == "call",
        Action.status == "done",
        Action.done_at > Promise.resolved_at,
    )
    recent_break = sa.and_(Promise.status == "broken", Promise.due_on >= sa.bindparam("promise_from"))
    broken = sa.and_(recent_break, Promise.resolved_at >= sa.bindparam("recent_from"), ~called_since)
    due_today = sa.and_(Promise.status == "pending", Promise.due_on == sa.bindparam("day"))
    return (
        sa.select(
            Promise.case_id,
            sa.func.max(sa.case((broken, 1), else_=0)).label("broken"),
            sa.func.max(sa.case((due_today, 1), else_=0)).label("due_today"),
        )
        .where(sa.or_(due_today, recent_break), *where)  # (status, due_on) is indexed
        .group_by(Promise.case_id)
    )


def _limitation_near(where: list) -> sa.Select:
    """Return SELECT (case_id, limitation_on) of the cases with a claim still owed within 90 days of its limitation."""
    due = ClaimLimitation.limitation_on
    return (
        sa.select(ClaimLimitation.case_id, sa.func.min(due).label("limitation_on"))
        .where(due.between(sa.bindparam("day"), sa.bindparam("limitation_until")),  # on its index
               ClaimLimitation.suspended_since.is_(None), claim_outstanding(ClaimLimitation.claim_id) > 0, *where)
        .group_by(ClaimLimitation.case_id)
    )


def explain_score(case: Case, now: datetime) -> list[tuple[str, int]]:
    """Return the parts of `case`'s score at `now` as (what, points); they add up to its score."""
    day = agency_day(now)
    owed = balance(case.id).outstanding
    locale = str(get_locale() or "fr")
    parts = [(_("Outstanding %(amount)s", amount=format_money(owed, case.currency, locale=locale)),
              _tier(owed, AMOUNT_TIERS))]  # fmt: skip
    oldest = min((claim.due_date for claim in case.claims), default=None)
    days = max((day - oldest).days, 0) if oldest else 0
    parts.append((_("Oldest invoice %(days)d days past due", days=days), _tier(days, AGE_TIERS)))
    flags = db.session.execute(_promise_flags([Promise.case_id == case.id]), _score_params(now)).first()
    if flags and flags.broken:
        parts.append((_("Promise broken, no call since"), BROKEN_PROMISE))
    else:
        for commitment in extensions.broken_commitments():
            if db.session.execute(commitment.flags(lambda column: [column == case.id]), _score_params(now)).first():
                parts.append((str(commitment.label), BROKEN_PROMISE))
                break
    if flags and flags.due_today:
        parts.append((_("Promise falling due today"), PROMISE_DUE))
    if case.callback_at and now - RECENT <= case.callback_at <= _end_of_day(day):
        parts.append((_("Callback asked for %(when)s", when=format_datetime(case.callback_at, "short")), CALLBACK))
    if case.debtor.risk_score:
        risk = min(max(case.debtor.risk_score, 0), RISK_MAX)
        parts.append((_("Debtor risk score %(score)d", score=case.debtor.risk_score), risk))
    near = db.session.execute(_limitation_near([ClaimLimitation.case_id == case.id]), _score_params(now)).first()
    if near:
        parts.append((_("A claim reaches its limitation date on %(date)s", date=format_date(near.limitation_on)),
                      LIMITATION_NEAR))
    return parts


# --- what waits for a collector -------------------------------------------------------------------------


def lease_free(now: datetime | sa.BindParameter) -> sa.ColumnElement[bool]:
    """Return the condition that nobody holds the case (no lease, or an expired one)."""
    return sa.or_(Case.leased_by_id.is_(None), Case.lease_expires_at < now)


def no_hold() -> sa.ColumnElement[bool]:
    """Return the condition that the case's debtor has no hold in force (a dispute holds its case only)."""
    return ~sa.exists().where(
        Hold.debtor_id == Case.debtor_id,
        Hold.ended_at.is_(None),
        sa.or_(Hold.kind != "dispute", Hold.case_id == Case.id),
    )


ORDER = (Case.queue_score.desc(), Case.next_action_at, Case.id)


@cache
def waiting(pools: int, limit: int = 1) -> sa.Select:
    """Return SELECT id of a collector's due, free, unheld cases, best first (before the contact rules).

    Built once per number of teams (it is long to put together); `waiting_params` gives its parameters.
    `pools`: how many teams the collector is in; each team's pool is walked beside their own cases, one
    walk per pool so that each follows the pool's index in score order.
    """
    now = sa.bindparam("now", type_=UTCDateTime)
    due = [IN_QUEUE, Case.next_action_at <= now, lease_free(now), no_hold(),
           Case.id.not_in(sa.bindparam("exclude", expanding=True))]  # fmt: skip
    own = Case.assigned_collector_id == sa.bindparam("user_id")
    walks = [sa.select(Case.id).where(own, *due).order_by(*ORDER).limit(limit)]
    for number in range(pools):
        in_pool = sa.and_(UNASSIGNED, Case.team_id == sa.bindparam(f"team_id_{number}"))
        walks.append(sa.select(Case.id).where(in_pool, *due).order_by(*ORDER).limit(limit))
    # Each walk is its own subquery: SQLite allows ORDER BY … LIMIT only on a whole compound SELECT.
    ids = sa.union_all(*(sa.select(walk.subquery().c.id) for walk in walks))
    return sa.select(Case.id).where(Case.id.in_(ids)).order_by(*ORDER).limit(limit)


def team_ids(user: User) -> list[int]:
    """Return the ids of the user's teams, whose pools they work."""
    return [team.id for team in user.teams]


def waiting_params(user: User, now: datetime, exclude: set[int] | frozenset = frozenset()) -> dict:
    """Return the parameters of `waiting(len(team_ids(user)), …)` for `user` at `now`."""
    params = {"user_id": user.id, "now": now, "exclude": sorted(exclude)}
    params.update({f"team_id_{number}": team_id for number, team_id in enumerate(team_ids(user))})
    return params


def upcoming(user: User, now: datetime, limit: int = 10) -> list[Case]:
    """Return the first cases waiting for the user, best first (the contact rules not asked yet)."""
    ids = waiting(len(team_ids(user)), limit).subquery()
    query = (
        sa.select(Case)
        .join(ids, ids.c.id == Case.id)
        .options(sa.orm.joinedload(Case.client), sa.orm.joinedload(Case.debtor))
        .order_by(*ORDER)
    )
    return list(db.session.scalars(query, waiting_params(user, now)))


@dataclass(frozen=True)
class QueueCounts:
    """A collector's queue in figures: cases due now (free, no hold) and cases planned, theirs and their pools'."""

    mine_due: int
    mine_planned: int
    pool_due: int
    pool_planned: int


def queue_counts(user: User, now: datetime) -> QueueCounts:
    """Count the cases waiting in the user's own queue and in the pools of their teams."""
    due = sa.func.coalesce(
        sa.func.sum(sa.case((sa.and_(Case.next_action_at <= now, lease_free(now), no_hold()), 1), else_=0)), 0
    )
    planned = sa.func.count()

    def figures(*where) -> tuple[int, int]:
        row = db.session.execute(sa.select(due, planned).where(IN_QUEUE, Case.next_action_at.is_not(None), *where)).one()
        return int(row[0]), int(row[1])

    mine = figures(Case.assigned_collector_id == user.id)
    pools = team_ids(user)
    pool = figures(UNASSIGNED, Case.team_id.in_(pools)) if pools else (0, 0)
    return QueueCounts(mine[0], mine[1], pool[0], pool[1])
