"""Building queued cases for the queue's tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from agency.db import db, utcnow
from agency.models import Team, User
from cases.models import Case
from tests import factories

# A Monday, 10:30 in Paris: inside the French calling hours, no public holiday.
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
_phones = itertools.count(1)


def queued_case(
    *,
    team: Team | None = None,
    collector: User | None = None,
    score: int = 0,
    due: datetime | None = NOW - HOUR,
    phone: bool = True,
    status: str = "active",
    **fields,
) -> Case:
    """Open a case whose debtor has a phone number, due at `due`, in `collector`'s queue or `team`'s pool."""
    debtor = fields.pop("debtor_row", None) or factories.debtor()
    if phone and not debtor.contact_points:
        factories.contact(debtor, value=f"+3361{next(_phones):07d}")
    case = factories.case(debtor_row=debtor, **fields)
    case.status = status
    case.team_id = team.id if team else None
    case.assigned_collector_id = collector.id if collector else None
    case.next_action_at = due
    case.queue_score = score
    db.session.flush()
    return case


def callable_now(case: Case) -> None:
    """Make the debtor callable at the real present time: the US profile, in a zone where it is noon."""
    for mandate in case.client.mandates:
        mandate.jurisdiction = "US"
    offset = 12 - utcnow().hour  # hours east of UTC that put the debtor at noon; Etc/GMT signs are inverted
    case.debtor.timezone = "Etc/GMT" + (f"{-offset:+d}" if offset else "")
    db.session.flush()
