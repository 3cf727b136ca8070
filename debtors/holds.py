"""Holds on a debtor: insolvency, over-indebtedness, deceased, cease-communication (DESIGN.md §4).

While one is active the contact rules refuse every contact on every case of the debtor. A dispute is
a hold too, but on one case: it is opened and resolved from that case, not here.

An insolvency hold carries two dates the agency reads in the BODACC: the opening judgment
(`reference_date`), from which interest stops (cases.interest.rules), and the publication, from which the
claim must be declared within 2 months (C. com. R622-24). Neither can be in the future, and the
publication cannot come before the judgment.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.bulk import RowStream, allocate_ids, select_in
from agency.clock import today
from agency.db import db, utcnow
from agency.models import AuditEvent, User
from debtors.compliance import DEBTOR_HOLDS
from debtors.models import Debtor, Hold, HoldKind

# Insolvency: the claim is declared within 2 months of the BODACC publication (C. com. R622-24).
CLAIM_FILING_MONTHS = 2
# The months in force on a publication's day are a figure of the judicial settings, which live above this
# package: cases.judicial hands its reader over (`read_filing_months_with`), so that the debtor's page, the
# BODACC page and the case agree; the legal two months until it does.
_filing_months: list[Callable[[date], int]] = []


def read_filing_months_with(reader: Callable[[date], int]) -> None:
    """Read the months to declare a claim, as in force on a publication's day, with `reader`."""
    _filing_months[:] = [reader]


def filing_deadline_from(published_on: date) -> date:
    """The last day to declare a claim for a creditor in metropolitan France (C. com. R622-24)."""
    months = _filing_months[0](published_on) if _filing_months else CLAIM_FILING_MONTHS
    return add_months(published_on, months)


class HoldError(ValueError):
    """A hold operation refused, with the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def put_on_hold(
    debtor: Debtor,
    kind: str,
    *,
    actor: User | None,
    reason: str = "",
    reference_date: date | None = None,
    bodacc_published_on: date | None = None,
) -> Hold:
    """Stop every contact with `debtor` for `kind` until a manager ends the hold; the caller commits."""
    if kind not in DEBTOR_HOLDS:
        raise HoldError(_("A dispute is opened from its case."), "kind")
    if any(h.kind == kind for h in debtor.active_holds):
        raise HoldError(_("The debtor already has an active hold of this kind."), "kind")
    check_dates(reference_date, bodacc_published_on)
    hold = Hold(
        debtor=debtor,
        kind=kind,
        reason=reason.strip(),
        reference_date=reference_date,
        bodacc_published_on=bodacc_published_on if kind == HoldKind.INSOLVENCY else None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(hold)
    db.session.flush()
    audit.record(
        "hold.started",
        actor=actor,
        subject=hold,
        after={"debtor_id": debtor.id, "kind": kind, "reason": hold.reason, "reference_date": reference_date,
               "bodacc_published_on": hold.bodacc_published_on},
    )
    return hold


def put_many_on_hold(debtor_ids: list[int], kind: str, *, actor: User | None, reason: str) -> dict[int, int]:
    """Put each debtor of `debtor_ids` on hold for `kind`, as `put_on_hold` does one, set-based; the caller commits.

    Debtors who already have an active hold of this kind keep it and get none more. Return the new holds' ids
    by debtor. Dates are not asked: an insolvency hold carries its own judgment's, set one debtor at a time.
    """
    if kind not in DEBTOR_HOLDS or kind == HoldKind.INSOLVENCY:
        raise HoldError(_("This kind of hold is put on one debtor at a time."), "kind")
    wanted = list(dict.fromkeys(debtor_ids))
    held = {debtor_id for (debtor_id,) in select_in(
        sa.select(Hold.debtor_id).where(Hold.kind == kind, Hold.ended_at.is_(None)), Hold.debtor_id, wanted,
        sa.Integer)}
    new = [debtor_id for debtor_id in wanted if debtor_id not in held]
    if not new:
        return {}
    # On SQLite, outside a page being read, a transaction takes the write lock as it begins (agency.sqlite): no
    # other writer takes these ids between their reading and the insert.
    hold_ids = dict(zip(new, allocate_ids(Hold.__table__, len(new)), strict=True))
    now, reason, actor_id = utcnow(), reason.strip(), actor.id if actor else None
    with RowStream() as stream:
        stream.write(Hold.__table__, (
            {"id": hold_ids[debtor_id], "debtor_id": debtor_id, "case_id": None, "kind": kind, "reason": reason,
             "reference_date": None, "bodacc_published_on": None, "started_at": now, "ended_at": None,
             "created_by_id": actor_id, "ended_by_id": None, "resolution": ""} for debtor_id in new))
        stream.write(AuditEvent.__table__, (
            {"created_at": now, "actor_id": actor_id, "actor_label": actor.email if actor else "system",
             "action": "hold.started", "subject_type": Hold.__tablename__, "subject_id": hold_ids[debtor_id],
             "client_id": None, "before": None,
             "after": {"debtor_id": debtor_id, "kind": kind, "reason": reason, "reference_date": None,
                       "bodacc_published_on": None}} for debtor_id in new))
    return hold_ids


def check_dates(judgment: date | None, published: date | None) -> None:
    """Refuse a judgment or publication date in the future, or a publication before the judgment."""
    if judgment and judgment > today():
        raise HoldError(_("The date of the judgment cannot be in the future."), "reference_date")
    if published and published > today():
        raise HoldError(_("The BODACC publication date cannot be in the future."), "bodacc_published_on")
    if judgment and published and published < judgment:
        raise HoldError(_("The BODACC publication cannot come before the judgment it announces."),
                        "bodacc_published_on")


def end_hold(hold: Hold, *, actor: User | None, resolution: str) -> None:
    """End a debtor hold with how it was settled; contact resumes unless another hold remains."""
    if hold.kind == HoldKind.DISPUTE:
        raise HoldError(_("A dispute is resolved from its case."))
    if hold.ended_at is not None:
        raise HoldError(_("This hold has already ended."))
    if not resolution.strip():
        raise HoldError(_("Say how the hold was settled."), "resolution")
    hold.ended_at = utcnow()
    hold.ended_by_id = actor.id if actor else None
    hold.resolution = resolution.strip()
    audit.record(
        "hold.ended",
        actor=actor,
        subject=hold,
        before={"ended_at": None},
        after={"debtor_id": hold.debtor_id, "kind": hold.kind, "ended_at": hold.ended_at, "resolution": hold.resolution},
    )


def claim_filing_deadline(hold: Hold) -> date | None:
    """Return the last day to declare the claim in insolvency proceedings (2 months after the BODACC)."""
    if hold.kind != HoldKind.INSOLVENCY or hold.bodacc_published_on is None:
        return None
    return filing_deadline_from(hold.bodacc_published_on)


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, kept within the month (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
