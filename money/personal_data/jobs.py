"""The nightly retention run: debtors whose cases all closed longer ago than the retention are anonymised, then the
placement files that name only anonymised debtors are emptied (`placement_files`)."""

from __future__ import annotations

from agency.clock import today
from agency.db import db
from agency.jobs import job, periodic
from debtors.models import Debtor
from money.personal_data.anonymise import anonymise, keep_reasons, retention_candidates
from money.personal_data.placement_files import remove_placement_data
from money.personal_data.settings import get_settings

DAY = 24 * 3600
CHUNK = 100


@periodic(every=DAY)
@job(timeout=3600)
def anonymise_expired_job() -> dict:
    """Anonymise, by chunks each committed, the debtors past retention that nothing legal still keeps.

    Candidates come by id from one query per chunk; each is checked again (proceedings, money held,
    claims not prescribed) before it is touched, so a retry or a second run anonymises nobody twice.
    """
    day, years = today(), get_settings().retention_years
    counts = {"anonymised": 0, "kept": 0, "placements_emptied": 0}
    after_id = 0
    while ids := retention_candidates(day, years, after_id, CHUNK):
        for debtor_id in ids:
            debtor = db.session.get(Debtor, debtor_id)
            if keep_reasons(debtor, day, years):
                counts["kept"] += 1
                continue
            anonymise(debtor, None, "retention", f"retention_years={years}")
            counts["anonymised"] += 1
        db.session.commit()
        after_id = ids[-1]
    counts["placements_emptied"] = remove_placement_data(day, years)
    db.session.commit()
    return counts
