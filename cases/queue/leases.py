"""Leases: "Next" takes a case for one collector, work renews it, finishing or time lets it go.

Taking a case leases it for `LEASE`; any action on the case and a ping from its page renew the
lease; "Finish", "Release" or the lease running out frees it. On PostgreSQL the chosen row is locked
with `FOR UPDATE SKIP LOCKED` before the lease is written; on SQLite the lease is a compare-and-set
UPDATE whose row count says who won (and writing transactions take SQLite's write lock up front,
agency.sqlite). Either way two collectors never hold the same case. Taking, finishing, releasing and
expiry are audited.

A collector holds one lease at most: "Next" while holding one returns that case, and a unique index
makes a second lease impossible. One collector's lease operations take turns (`_hold_collector`), so
that parallel requests of theirs (a double click) wait for each other instead of racing. Finishing and
releasing name the lease they end by its token: a form drawn for an earlier lease changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from secrets import token_hex

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from agency import audit
from agency.db import UTCDateTime, db, utcnow
from agency.models import Client, User
from cases.contact_rules import may_contact
from cases.models import Case
from cases.queue.queue import QueueError, lease_free, refresh_scores, team_ids, waiting, waiting_params
from debtors.models import Debtor

LEASE = timedelta(minutes=15)
COME_BACK = timedelta(days=1)  # a case finished with nothing planned is due again this much later
LOOKS = 50  # cases looked at before giving up when the contact rules refuse case after case
HELD = "leased_by_id IS NOT NULL"
# What the contact rules read of a case, in the query that loads it: its client's mandates (the
# jurisdiction) and its debtor's contact points.
LOADED = (
    sa.orm.joinedload(Case.client).joinedload(Client.mandates),
    sa.orm.joinedload(Case.debtor).joinedload(Debtor.contact_points),
)

# The database's own guarantee of one lease per collector (migration 0016), whatever runs in parallel.
sa.Index("uq_case_one_lease_per_collector", Case.leased_by_id, unique=True,
         postgresql_where=sa.text(HELD), sqlite_where=sa.text(HELD))  # fmt: skip


class StaleLease(QueueError):
    """The lease a form names has ended (finished, released, run out and taken, or a newer one): nothing done."""


@dataclass
class Next:
    """What "Next" found: the case leased, else why the due cases looked at were passed over."""

    case: Case | None = None
    refused: Counter = field(default_factory=Counter)  # contact-rule reason -> cases passed over
    next_allowed_at: datetime | None = None  # the earliest time one of them may be called
    held: bool = False  # the case was already the user's: "Next" brought them back to it


def lease_next_case(user: User, now: datetime | None = None) -> Next:
    """The "Next" button: the case the user holds (renewed), else the best case they may call now.

    A lease of theirs that ran out is let go first, unfinished (they may never have worked that case);
    the caller commits.
    """
    now = now or utcnow()
    _hold_collector(user)
    held = current_lease(user, now)
    if held is not None:
        renew_lease(held.id, user, now)
        return Next(case=held, held=True)
    _free_run_out(now, holder=user)
    return _lease_next(user, now)


def _hold_collector(user: User) -> None:
    """Make the user's lease operations take turns: lock their row until the transaction ends.

    Every operation on a collector's own lease takes this lock before any case row, so that two of
    them never wait for each other in opposite orders. FOR NO KEY UPDATE leaves rows that merely name
    the user (actions, audit events) free to be written meanwhile. SQLite has no row locks and needs
    none: a writing transaction holds the database's write lock from its start (agency.sqlite).
    """
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def _lease_next(user: User, now: datetime) -> Next:
    found = Next()
    examined: set[int] = set()
    pools = len(team_ids(user))
    for _look in range(LOOKS):
        params = waiting_params(user, now, examined)
        case = db.session.scalars(_best_case(pools), params).unique().first()
        if case is None:
            break
        examined.add(case.id)
        verdict = may_contact(case, "phone", at=now)
        if not verdict.allowed:
            found.refused[verdict.reason] += 1
            if verdict.next_allowed_at:
                found.next_allowed_at = min(verdict.next_allowed_at, found.next_allowed_at or verdict.next_allowed_at)
        elif _take(case, user, now):
            found.case = case
            break
    return found


@cache
def _best_case(pools: int) -> sa.Select:
    """Return SELECT of the best waiting case, loaded with what the contact rules read: one statement."""
    return sa.select(Case).where(Case.id == waiting(pools).scalar_subquery()).options(*LOADED)


@cache
def _lease_statement(postgres: bool) -> sa.Update:
    """Return the UPDATE that leases a case still free (parameters: case_id, now, user_id, expires)."""
    now = sa.bindparam("now", type_=UTCDateTime)
    if postgres:
        # SELECT … FOR UPDATE SKIP LOCKED inside the UPDATE: a row another collector is taking this
        # instant is skipped, not waited for; one round trip.
        row = sa.orm.aliased(Case)
        free = (row.id == sa.bindparam("case_id"), sa.or_(row.leased_by_id.is_(None), row.lease_expires_at < now),
                row.next_action_at <= now)  # fmt: skip
        locked = sa.select(row.id).where(*free).with_for_update(skip_locked=True).correlate(None).scalar_subquery()
        where = Case.id == locked
    else:  # compare-and-set: the row count says who won
        where = sa.and_(Case.id == sa.bindparam("case_id"), lease_free(now), Case.next_action_at <= now)
    values = {
        "leased_by_id": sa.bindparam("user_id"),
        "lease_expires_at": sa.bindparam("expires", type_=UTCDateTime),
        "lease_token": sa.bindparam("token"),
    }
    return sa.update(Case).where(where).values(values).execution_options(synchronize_session=False)


def _take(case: Case, user: User, now: datetime) -> bool:
    """Lease `case` to `user` unless another collector got it first; return whether it is ours."""
    expires, token = now + LEASE, token_hex(16)
    statement = _lease_statement(db.session.get_bind().dialect.name == "postgresql")
    params = {"case_id": case.id, "now": now, "user_id": user.id, "expires": expires, "token": token}
    if db.session.execute(statement, params).rowcount != 1:
        return False  # someone leased it since we read it, or is leasing it this instant
    before = {"leased_by_id": case.leased_by_id, "lease_expires_at": case.lease_expires_at}
    set_committed_value(case, "leased_by_id", user.id)
    set_committed_value(case, "lease_expires_at", expires)
    set_committed_value(case, "lease_token", token)
    after = {"leased_by_id": user.id, "lease_expires_at": expires}
    audit.record("case.leased", actor=user, subject=case, before=before, after=after)
    return True


# --- working and letting go ---------------------------------------------------------------------


def held_by_other(case: Case, user: User, now: datetime) -> bool:
    """Tell whether another collector holds a lease on `case` that has not run out."""
    if case.leased_by_id in (None, user.id):
        return False
    return case.lease_expires_at is not None and case.lease_expires_at >= now


def finish_case(case: Case, user: User, lease: str, now: datetime | None = None) -> None:
    """End the user's lease `lease` (its token) on `case`: free the case, and bring it back tomorrow if
    nothing later was planned. Raise StaleLease, having changed nothing, if that lease has ended.
    """
    now = now or utcnow()
    _hold_lease(case, user, lease, now)
    before = {"leased_by_id": case.leased_by_id, "next_action_at": case.next_action_at}
    case.leased_by_id, case.lease_expires_at, case.lease_token = None, None, None
    if case.next_action_at is not None and case.next_action_at <= now:
        case.next_action_at = now + COME_BACK
    db.session.flush()
    refresh_scores(now, [case.id])
    db.session.expire(case, ["queue_score"])
    after = {"leased_by_id": None, "next_action_at": case.next_action_at}
    audit.record("case.lease_finished", actor=user, subject=case, before=before, after=after)


def release_case(case: Case, user: User, lease: str, now: datetime | None = None) -> None:
    """Give `case` back to the queue untouched, for another collector or later; `lease` as for finish_case."""
    _hold_lease(case, user, lease, now or utcnow())
    before = {"leased_by_id": case.leased_by_id, "lease_expires_at": case.lease_expires_at}
    case.leased_by_id, case.lease_expires_at, case.lease_token = None, None, None
    db.session.flush()
    audit.record("case.lease_released", actor=user, subject=case, before=before, after={"leased_by_id": None})


def _hold_lease(case: Case, user: User, lease: str, now: datetime) -> None:
    """Check that `lease` is still the user's lease on `case`, holding both until the transaction ends.

    A lease that ran out unnoticed by anyone is still the one the collector worked under: it may end.
    """
    _hold_collector(user)
    db.session.refresh(case, with_for_update=True)  # the row as it is now, not as the page read it
    if lease and case.leased_by_id == user.id and case.lease_token == lease:
        return
    if held_by_other(case, user, now):
        raise QueueError(_("%(name)s is working on this case.", name=case.leased_by.name))
    raise StaleLease(_("This case was already finished or released, or your hold on it had ended: nothing was changed."))


def renew_lease(case_id: int, user: User, now: datetime | None = None) -> datetime | None:
    """Push back the end of the user's lease on the case; return it, or None when the lease is gone.

    Not audited one by one: a renewal only extends a lease whose taking is, and a page pings often.
    """
    expires = (now or utcnow()) + LEASE
    _hold_collector(user)  # a lease revived while "Next" lets it go would be a second one
    renewed = db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id, Case.leased_by_id == user.id)
        .values(lease_expires_at=expires)
        .execution_options(synchronize_session="fetch")
    )
    return expires if renewed.rowcount else None


def expire_leases(now: datetime) -> int:
    """Free the cases whose lease ran out, auditing each; return how many."""
    return _free_run_out(now)


def _free_run_out(now: datetime, holder: User | None = None) -> int:
    """Free the run-out leases (of `holder` only, if given), auditing each; return how many."""
    ran_out = [Case.leased_by_id.is_not(None), Case.lease_expires_at < now]
    if holder is not None:
        ran_out.append(Case.leased_by_id == holder.id)
    rows = db.session.execute(
        sa.select(Case.id, Case.client_id, Case.leased_by_id, Case.lease_expires_at)
        .where(*ran_out)
        # The periodic sweep passes over a lease being renewed or taken this instant; a collector's
        # own run-out lease must be gone before they take another (the unique index), so they wait.
        .with_for_update(skip_locked=holder is None)
    ).all()
    if not rows:
        return 0
    db.session.execute(
        sa.update(Case)
        .where(Case.id.in_([r.id for r in rows]), *ran_out)
        .values(leased_by_id=None, lease_expires_at=None, lease_token=None)
        .execution_options(synchronize_session="fetch")
    )
    for row in rows:
        before = {"leased_by_id": row.leased_by_id, "lease_expires_at": row.lease_expires_at}
        event = audit.record("case.lease_expired", actor=None, subject_type="collection_case",
                             client_id=row.client_id, before=before, after={"leased_by_id": None})  # fmt: skip
        event.subject_id = row.id
    return len(rows)


def holder_of(case_id: int) -> int | None:
    """Return the id of the collector holding a lease (running or run out) on the case, if any."""
    return db.session.scalar(sa.select(Case.leased_by_id).where(Case.id == case_id))


def current_lease(user: User, now: datetime) -> Case | None:
    """Return the case the user holds now, if any."""
    return db.session.scalar(
        sa.select(Case)
        .where(Case.leased_by_id == user.id, Case.lease_expires_at >= now)
        .order_by(Case.lease_expires_at.desc())
        .limit(1)
    )
