"""The daily judicial run: what silence decides, next deadlines refreshed, alerts before each deadline.

The alerts themselves are a rule of `alerts.rules` (alerts read cases, not the other way round): it
reads the next deadlines this job stores.
"""

from __future__ import annotations

from agency.clock import today
from agency.jobs import job, periodic
from cases.judicial.daily import run_daily

DAY = 24 * 3600


@periodic(every=DAY)
@job
def judicial_daily_job() -> dict:
    """Record the refusals and lapses silence decided, then store every proceeding's next deadline."""
    return run_daily(today()).as_dict()
