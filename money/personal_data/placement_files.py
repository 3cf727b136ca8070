"""Placement files once nobody they name is kept: the file as received, its check, samples and report emptied.

A client's file names many debtors, so anonymising one cannot rewrite it (nor could it, for a spreadsheet).
It is kept while it names a debtor whose data is kept: once every debtor of the claims it brought is
anonymised — or, for a placement that brought no claim (every row rejected, or never confirmed), once it is
older than the retention period — the nightly retention run empties it (one never confirmed is cancelled). The
placement's row, its figures (rows, totals) and its column headers stay; the claims keep their link to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from agency.db import db, utcnow
from agency.models import AuditEvent
from cases.models import Case, Claim
from cases.placement.models import Placement, PlacementFile, PlacementStatus
from debtors.models import Debtor
from money.personal_data.anonymise import retention_cutoff

CHUNK = 500
# Not imported, failed nor cancelled: never confirmed, or a check left unfinished (the claims an import writes
# appear with its end, so a placement that brought one is past these).
UNCONFIRMED = (PlacementStatus.MAPPING.value, PlacementStatus.VALIDATING.value, PlacementStatus.VALIDATED.value,
               PlacementStatus.IMPORTING.value)


def expired_placements(today: date, years: int) -> list[int]:
    """Return the placements whose personal data may go now, by id."""
    cutoff = datetime.combine(retention_cutoff(today, years), datetime.min.time(), tzinfo=UTC)
    brought = sa.select(Claim.id).where(Claim.placement_id == Placement.id)
    kept = brought.join(Case, Case.id == Claim.case_id).join(Debtor, Debtor.id == Case.debtor_id).where(
        Debtor.anonymised_at.is_(None))
    return list(db.session.scalars(
        sa.select(Placement.id)
        .where(Placement.personal_data_removed_at.is_(None), ~sa.exists(kept),
               sa.or_(sa.exists(brought), Placement.created_at < cutoff))
        .order_by(Placement.id)
    ))


def remove_placement_data(today: date, years: int) -> int:
    """Empty the file, parsed rows, samples and report of each expired placement, an audit event each; return how
    many. Not committed."""
    ids = expired_placements(today, years)
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        db.session.execute(sa.update(PlacementFile).where(PlacementFile.placement_id.in_(part))
                           .values(content=b"", checked_rows=None).execution_options(synchronize_session=False))
        emptied = db.session.execute(
            sa.update(Placement).where(Placement.id.in_(part))
            .values(samples=None, report=None, personal_data_removed_at=now,
                    # one never confirmed cannot be imported without its file any more
                    status=sa.case((Placement.status.in_(UNCONFIRMED), PlacementStatus.CANCELLED.value),
                                   else_=Placement.status))
            .returning(Placement.id, Placement.client_id).execution_options(synchronize_session=False)).all()
        db.session.execute(sa.insert(AuditEvent), [
            {"action": "placement.personal_data_removed", "actor_id": None, "actor_label": "system",
             "subject_type": Placement.__tablename__, "subject_id": pid, "client_id": client_id, "ip": None,
             "after": {"file": "emptied", "report": "emptied", "samples": "emptied"}} for pid, client_id in emptied])
    db.session.expire_all()  # rows changed behind the session's back
    return len(ids)
