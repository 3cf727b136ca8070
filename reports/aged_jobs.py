"""Background jobs of the aged balance and of the channel lists: their hourly recomputation."""

from __future__ import annotations

from agency.clock import today
from agency.jobs import job, periodic
from reports.aged_snapshot import refresh_aged
from reports.channel_cases import refresh_channel_cases

# Hourly, like the dashboard's figures: the page says as of when, and a million cases take a while.
HOUR = 3600


@periodic(every=HOUR)
@job
def refresh_aged_job() -> int:
    """Recompute the aged balance as of today from the ledger; return the cases owing something."""
    return refresh_aged(today()).cases


@periodic(every=HOUR)
@job
def refresh_channel_cases_job() -> int:
    """Recompute which cases have a payment credited to each channel; return the payments credited."""
    return refresh_channel_cases().payments
