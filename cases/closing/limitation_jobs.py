"""The daily limitation run: every claim's limitation date stored again, in one statement.

The alerts (90 and 30 days before), the managers' list and the queue's priority read what it stores;
the case page and the senders compute their own case live (see `cases.closing.limitation`). The cases
that came near a limitation date get a task for their collector (`cases.notes.rules`).
"""

from __future__ import annotations

from agency.clock import today
from agency.jobs import job, periodic
from cases.closing.limitation import refresh_limitations
from cases.notes.rules import raise_limitation_tasks

DAY = 24 * 3600


@periodic(every=DAY)
@job(timeout=1800)
def refresh_limitations_job() -> int:
    """Recompute and store every claim's limitation date; return how many rows changed."""
    changed = refresh_limitations(today())
    raise_limitation_tasks(today())
    return changed
