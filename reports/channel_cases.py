"""The cases credited to each channel, pre-computed: the drill-down lists of the dashboard's channel figures.

A payment's channel depends on its case's actions only, never on the dashboard's filters (they select cases),
so one list per channel over every case serves every filter. Computed live, the attribution takes seconds
over a million cases: the hourly refresh of the dashboard's figures (reports.facts) stores the lists from
the very attributions it counts, in the same transaction, so that a list is always the cases behind its figure.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa

from agency.bulk import RowStream
from agency.db import db, utcnow
from reports.aged_models import ChannelCase, ChannelRefresh
from reports.figures import Attribution


def store_channel_cases(found: Sequence[Attribution]) -> ChannelRefresh:
    """Store which cases have a payment credited to each channel, replacing the last lists; the caller commits."""
    started = time.perf_counter()
    db.session.execute(sa.delete(ChannelCase))
    db.session.execute(sa.delete(ChannelRefresh))
    pairs = sorted({(a.case_id, a.kind) for a in found})
    with RowStream() as stream:  # COPY on PostgreSQL: a million pairs take seconds, not a minute of inserts
        stream.write(ChannelCase.__table__, ({"case_id": c, "channel": k} for c, k in pairs))
    refresh = ChannelRefresh(refreshed_at=utcnow(), payments=len(found),
                             duration_ms=int((time.perf_counter() - started) * 1000))
    db.session.add(refresh)
    db.session.flush()
    return refresh


def latest_channel_refresh() -> ChannelRefresh | None:
    """Return the last refresh of the cases by channel, if any."""
    return db.session.scalar(sa.select(ChannelRefresh).order_by(ChannelRefresh.id.desc()).limit(1))


def channel_case_ids(channel_key: str) -> sa.Select:
    """Return a SELECT of the ids of the cases with a payment credited to `channel_key`, as last refreshed."""
    return sa.select(ChannelCase.case_id).where(ChannelCase.channel == channel_key)
