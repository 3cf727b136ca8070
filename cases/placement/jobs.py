"""Background work of placements: checking a file, importing it."""

from __future__ import annotations

from agency import audit
from agency.db import db
from agency.jobs import job, report_progress
from agency.models import User
from cases.placement.models import Placement, PlacementStatus
from cases.placement.placements import check_placement, import_placement

# The longest jobs of the platform: a file of several hundred thousand invoices is parsed, matched and
# written in one go. Every other job gets the default, so that a crashed one comes back in minutes.
PLACEMENT_TIMEOUT = 1800


@job(timeout=PLACEMENT_TIMEOUT)
def check_placement_job(placement_id: int) -> None:
    """Check a placement's rows and store the preview (a retry after success does nothing)."""
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.status != PlacementStatus.VALIDATING:
        return
    check_placement(placement, progress=report_progress)


# No automatic retry: a failed import is reported and the user decides (the file may be at fault).
@job(retry=None, timeout=PLACEMENT_TIMEOUT)
def import_placement_job(placement_id: int, actor_id: int | None) -> None:
    """Import a confirmed placement in one transaction; on failure nothing is written and it says why."""
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.status != PlacementStatus.IMPORTING:
        return
    actor = db.session.get(User, actor_id) if actor_id else None
    try:
        import_placement(placement, actor, progress=report_progress)
    except Exception as exc:
        db.session.rollback()
        mark_failed(placement_id, repr(exc))
        db.session.commit()
        raise


def mark_failed(placement_id: int, error: str) -> None:
    """Record that the import failed (after its transaction was rolled back)."""
    placement = db.session.get(Placement, placement_id)
    placement.status = PlacementStatus.FAILED.value
    placement.error = error[:2000]
    audit.record("placement.failed", actor=None, subject=placement, after={"error": placement.error[:200]})
