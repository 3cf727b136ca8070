"""The managers' page of the BODACC watch: announcements proposed as insolvency holds, confirmed or dismissed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, permission_required
from agency.db import db
from agency.models import PeriodicRun, User
from debtors.bodacc_forms import ConfirmFindingForm, DismissFindingForm
from debtors.bodacc_models import BodaccFinding, FindingStatus
from debtors.bodacc_watch import confirm_finding, dismiss_finding, filing_deadline, proposed_count
from debtors.holds import HoldError

bp = Blueprint("bodacc", __name__)

JOB_NAME = "cases.bodacc_jobs.bodacc_watch"  # its periodic run, named as agency.jobs names it
DECIDED_SHOWN = 30


@bp.app_context_processor
def bodacc_helpers() -> dict:
    return {"bodacc_waiting_count": lambda: proposed_count() if can("holds.manage") else 0}


def _render(dismiss_forms: dict | None = None, status: int = 200):
    proposed = db.session.scalars(
        sa.select(BodaccFinding).where(BodaccFinding.status == FindingStatus.PROPOSED.value)
        .order_by(BodaccFinding.published_on.desc(), BodaccFinding.id)).all()
    decided = db.session.scalars(
        sa.select(BodaccFinding).where(BodaccFinding.status != FindingStatus.PROPOSED.value)
        .order_by(BodaccFinding.decided_at.desc()).limit(DECIDED_SHOWN)).all()
    dismiss_forms = dismiss_forms or {}
    for finding in proposed:
        dismiss_forms.setdefault(finding.id, DismissFindingForm(prefix=f"dismiss-{finding.id}", formdata=None))
    people = dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_({f.decided_by_id for f in decided} - {None}))).all())
    page = render_template(
        "debtors/bodacc.html", proposed=proposed, decided=decided, confirm_form=ConfirmFindingForm(),
        dismiss_forms=dismiss_forms, people=people, run=db.session.get(PeriodicRun, JOB_NAME),
        filing_deadline=filing_deadline,
    )
    return page, status


def _finding_or_404(finding_id: int) -> BodaccFinding:
    # Debtors are shared by all clients and only managers reach this page: no tenant scope applies.
    return db.session.get(BodaccFinding, finding_id) or abort(404)


@bp.get("/bodacc")
@permission_required("holds.manage")
def index():
    return _render()


@bp.post("/bodacc/<int:finding_id>/confirm")
@permission_required("holds.manage")
def confirm(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not ConfirmFindingForm().validate_on_submit():
        abort(400)
    try:
        confirm_finding(finding, actor=current_user)
    except HoldError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("%(debtor)s is under an insolvency hold: every contact stops and interest stops from the judgment.",
                debtor=finding.debtor.display_name), "success")
    return redirect(url_for("bodacc.index"))


@bp.post("/bodacc/<int:finding_id>/dismiss")
@permission_required("holds.manage")
def dismiss(finding_id: int):
    finding = _finding_or_404(finding_id)
    form = DismissFindingForm(prefix=f"dismiss-{finding.id}")
    if not form.validate_on_submit():
        return _render(dismiss_forms={finding.id: form}, status=400)
    try:
        dismiss_finding(finding, actor=current_user, reason=form.reason.data)
    except HoldError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("The announcement is set aside; it will not be proposed again."), "success")
    return redirect(url_for("bodacc.index"))
