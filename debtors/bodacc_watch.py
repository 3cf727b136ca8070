"""The insolvency watch: BODACC announcements proposed as holds, confirmed or dismissed by a manager.

The daily job (cases.bodacc_jobs, which knows which debtors have open B2B cases) hands debtors to
`check_batch` a batch at a time and commits each batch: when the API fails halfway, the batches read are
kept and the others, never marked as checked, come first at the next run. Only openings of proceedings
are proposed (a closure or a plan is not news a hold waits for), each announcement once per debtor.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from agency import audit
from agency.db import db, utcnow
from agency.models import User
from debtors import bodacc
from debtors.bodacc_models import BodaccCheck, BodaccFinding, FindingStatus
from debtors.holds import HoldError, filing_deadline_from, put_on_hold
from debtors.models import Debtor, Hold, HoldKind

# A debtor already checked is asked again for what was published since its last check, less this margin:
# an announcement may reach the open data a few days after its publication date.
PUBLICATION_LAG = timedelta(days=30)


def check_batch(debtors: list[Debtor]) -> list[BodaccFinding]:
    """Ask the BODACC about `debtors`, propose the openings not seen yet, mark them checked; the caller commits.

    Raises bodacc.BodaccUnavailable, having changed nothing, when the API cannot be read.
    """
    debtors = [d for d in debtors if d.siren and not _under_insolvency_hold(d)]
    if not debtors:
        return []
    checks = {c.debtor_id: c for c in db.session.scalars(
        sa.select(BodaccCheck).where(BodaccCheck.debtor_id.in_([d.id for d in debtors])))}
    since = None
    if len(checks) == len(debtors):
        since = min(c.checked_at for c in checks.values()).date() - PUBLICATION_LAG
    announcements = [a for a in bodacc.search([d.siren for d in debtors], since) if a.is_opening]
    known = _known(debtors) if announcements else set()
    now = utcnow()
    found = []
    for debtor in debtors:
        for announcement in announcements:
            if debtor.siren in announcement.sirens and (debtor.id, announcement.id) not in known:
                known.add((debtor.id, announcement.id))  # a page read twice proposes it once
                found.append(_propose(debtor, announcement))
        check = checks.get(debtor.id) or BodaccCheck(debtor_id=debtor.id)
        check.checked_at = now
        db.session.add(check)
    db.session.flush()
    return found


def _under_insolvency_hold(debtor: Debtor) -> bool:
    return any(h.kind == HoldKind.INSOLVENCY for h in debtor.active_holds)


def _known(debtors: list[Debtor]) -> set[tuple[int, str]]:
    """Return the (debtor id, announcement id) pairs already proposed for `debtors`, whatever became of them."""
    rows = db.session.execute(sa.select(BodaccFinding.debtor_id, BodaccFinding.announcement_id)
                              .where(BodaccFinding.debtor_id.in_([d.id for d in debtors])))
    return {(debtor_id, announcement_id) for debtor_id, announcement_id in rows}


def _propose(debtor: Debtor, announcement: bodacc.Announcement) -> BodaccFinding:
    finding = BodaccFinding(
        debtor_id=debtor.id, siren=debtor.siren, announcement_id=announcement.id,
        published_on=announcement.published_on, judgment_on=announcement.judgment_on,
        famille=announcement.famille, nature=announcement.nature, court=announcement.court,
        company_name=announcement.name, status=FindingStatus.PROPOSED.value,
    )
    db.session.add(finding)
    db.session.flush()
    audit.record("bodacc.proposed", actor=None, subject=finding, after={
        "debtor_id": debtor.id, "announcement_id": announcement.id, "published_on": announcement.published_on,
        "judgment_on": announcement.judgment_on, "nature": announcement.nature})
    return finding


def confirm_finding(finding: BodaccFinding, *, actor: User) -> Hold:
    """Record the insolvency hold the finding announces, with its judgment and publication dates; the caller commits.

    The debtor's other proposed findings are dismissed: the hold they would propose is there.
    """
    _check_proposed(finding)
    hold = put_on_hold(finding.debtor, HoldKind.INSOLVENCY.value, actor=actor, reason=hold_reason(finding),
                       reference_date=finding.judgment_on, bodacc_published_on=finding.published_on)
    finding.hold_id = hold.id
    _decide(finding, FindingStatus.CONFIRMED, actor, "")
    others = db.session.scalars(sa.select(BodaccFinding).where(
        BodaccFinding.debtor_id == finding.debtor_id, BodaccFinding.id != finding.id,
        BodaccFinding.status == FindingStatus.PROPOSED.value))
    for other in others:
        _decide(other, FindingStatus.DISMISSED, actor,
                _("The debtor is under an insolvency hold from announcement %(id)s.", id=finding.announcement_id))
    return hold


def dismiss_finding(finding: BodaccFinding, *, actor: User, reason: str) -> None:
    """Set a finding aside as a false match, with why; the caller commits."""
    _check_proposed(finding)
    _decide(finding, FindingStatus.DISMISSED, actor, reason.strip())


def hold_reason(finding: BodaccFinding) -> str:
    """Return the hold's reason naming the announcement it comes from."""
    return _("BODACC announcement %(id)s of %(date)s: %(nature)s (%(court)s)", id=finding.announcement_id,
             date=format_date(finding.published_on, "short"), nature=finding.nature or finding.famille,
             court=finding.court or "?")


def filing_deadline(finding: BodaccFinding) -> date:
    """Return the last day to declare the claim if the announcement is this debtor's (2 months after it)."""
    return filing_deadline_from(finding.published_on)


def proposed_count() -> int:
    """Return how many findings wait for a manager."""
    return db.session.scalar(sa.select(sa.func.count()).where(BodaccFinding.status == FindingStatus.PROPOSED.value))


def _check_proposed(finding: BodaccFinding) -> None:
    if finding.status != FindingStatus.PROPOSED:
        raise HoldError(_("This BODACC announcement has already been decided."))


def _decide(finding: BodaccFinding, status: FindingStatus, actor: User, reason: str) -> None:
    finding.status = status.value
    finding.decided_at = utcnow()
    finding.decided_by_id = actor.id
    finding.reason = reason
    audit.record(f"bodacc.{status.value}", actor=actor, subject=finding, before={"status": "proposed"},
                 after={"debtor_id": finding.debtor_id, "announcement_id": finding.announcement_id,
                        "status": status.value, "reason": reason, "hold_id": finding.hold_id})
