"""Background jobs of rates: the daily posting of interest."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from agency.clock import today
from agency.jobs import job, periodic
from cases.interest.posting import post_interest

DAY = 24 * 3600


@periodic(every=DAY)
@job
def post_interest_job() -> int:
    """Post interest on claims whose last posting is INTEREST_POSTING_DAYS old or more; return the entries."""
    days = current_app.config["INTEREST_POSTING_DAYS"]
    now = today()
    return post_interest(now, stale_before=now - timedelta(days=days - 1)).entries
