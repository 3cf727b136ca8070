"""The daily insolvency watch: the BODACC asked about the companies owing on open B2B cases.

It lives in `cases` because it chooses debtors by their cases; what it asks and keeps is
`debtors.bodacc_watch`'s. Each batch of SIRENs is committed on its own. When the API fails (after the
client's own retries), the run stops there and fails, so the System page shows the error and RQ tries
again later; the debtors not reached keep their older `checked_at` and are asked first next time.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from agency.db import db, utcnow
from agency.jobs import job, periodic
from cases.models import Case, CaseKind
from cases.queue.queue import OPEN_STATUSES
from debtors.bodacc import BodaccUnavailable
from debtors.bodacc_models import BodaccCheck
from debtors.bodacc_watch import check_batch
from debtors.models import Debtor, Hold, HoldKind

log = logging.getLogger(__name__)

DAY = 24 * 3600
# A debtor checked less than this long ago is not asked again: a run retried after a failure goes on
# with the debtors it did not reach.
RECHECK_AFTER = timedelta(hours=12)


def debtors_to_check() -> list[int]:
    """Return the ids of companies with an open B2B case and no insolvency hold, least recently checked first."""
    open_b2b = sa.exists().where(Case.debtor_id == Debtor.id, Case.kind == CaseKind.B2B.value,
                                 Case.status.in_(OPEN_STATUSES))
    on_hold = sa.exists().where(Hold.debtor_id == Debtor.id, Hold.kind == HoldKind.INSOLVENCY.value,
                                Hold.ended_at.is_(None))
    query = (
        sa.select(Debtor.id)
        .outerjoin(BodaccCheck, BodaccCheck.debtor_id == Debtor.id)
        .where(Debtor.siren.is_not(None), open_b2b, ~on_hold,
               sa.or_(BodaccCheck.checked_at.is_(None), BodaccCheck.checked_at < utcnow() - RECHECK_AFTER))
        .order_by(BodaccCheck.checked_at.is_not(None), BodaccCheck.checked_at, Debtor.id)
    )
    return list(db.session.scalars(query))


@periodic(every=DAY)
@job(timeout=3600)
def bodacc_watch() -> dict:
    """Ask the BODACC about the debtors due, batch by batch; return how many were checked and found."""
    config = current_app.config
    ids = debtors_to_check()
    size = max(1, config["BODACC_BATCH_SIZE"])
    checked = found = 0
    for start in range(0, len(ids), size):
        if start:
            time.sleep(config["BODACC_PAUSE"])
        batch = list(db.session.scalars(sa.select(Debtor).where(Debtor.id.in_(ids[start:start + size]))
                                        .options(selectinload(Debtor.holds))))  # check_batch reads them
        try:
            found += len(check_batch(batch))
        except BodaccUnavailable:
            log.exception("BODACC watch stopped: %d of %d debtors checked", checked, len(ids))
            raise
        db.session.commit()
        checked += len(batch)
    return {"checked": checked, "found": found}
