"""Background jobs of the alerts: the rules, run often, and the daily digest."""

from __future__ import annotations

from agency.db import db
from agency.jobs import job, periodic
from alerts.digest import send_digest
from alerts.rules import fire_alerts

DAY = 24 * 3600
# Often enough that a dispute or a large payment shows on the bell within minutes; each rule is one query.
RULES_EVERY = 300


@periodic(every=RULES_EVERY)
@job
def fire_alerts_job() -> dict:
    """Fire the alerts whose condition holds now and clear those whose condition has ended."""
    return fire_alerts()


@periodic(every=DAY)
@job
def alerts_digest_job() -> int:
    """Fire the alerts due, then e-mail the managers the open ones not yet sent; return how many e-mails."""
    fire_alerts()
    db.session.flush()
    return len(send_digest())
