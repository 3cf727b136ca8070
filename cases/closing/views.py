"""Pages of closing: the case's panel, the proposal, the managers' decisions, reopening."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from agency.auth import can, get_scoped_or_404, permission_required, scoped
from agency.db import db
from agency.flashes import flash_form_errors
from agency.jobs import enqueue, job_progress
from cases import extensions
from cases.closing import labels
from cases.closing.bulk import ask_batch, close_batch_job
from cases.closing.closing import (
    ClosingError,
    confirm_closing,
    last_closing,
    pending_closing,
    propose_closing,
    reasons,
    reject_closing,
    reopen_case,
)
from cases.closing.forms import BulkCloseForm, CloseForm, DecisionForm, ReopenForm
from cases.models import BatchStatus, Case, CaseClosing, ClosingBatch, ClosingStatus
from cases.timeline import Event

bp = Blueprint("closing", __name__)


def close_form() -> CloseForm:
    form = CloseForm()
    form.reason.choices = _reason_choices()
    return form


def _reason_choices() -> list[SelectChoice]:
    return [SelectChoice(r.code, labels.reason_label(r)) for r in reasons()]


@bp.app_context_processor
def closing_helpers() -> dict:
    return {"closing_state": lambda case: (pending_closing(case), last_closing(case)),
            "closing_forms": {"close": close_form, "decision": DecisionForm, "reopen": ReopenForm},
            "closing_labels": labels,
            "closings_to_decide_count": _waiting_count}


def _waiting_count() -> int:
    if not can("closings.decide"):
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(_waiting().subquery()))


def closing_events(case: Case) -> list[Event]:
    """Closings proposed, refused, closed and reopened, for staff's history of the case."""
    events = []
    for row in db.session.scalars(sa.select(CaseClosing).where(CaseClosing.case_id == case.id)):
        if row.status == ClosingStatus.PROPOSED:
            events.append(Event(row.proposed_at, "closing_proposed", subject=row, template=_LINE, user=row.proposed_by))
        elif row.decided_at is not None:  # refused or closed, then perhaps reopened
            kind = "closing_refused" if row.status == ClosingStatus.REJECTED else "closing_closed"
            events.append(Event(row.decided_at, kind, subject=row, template=_LINE, user=row.decided_by))
        if row.reopened_at is not None:
            events.append(Event(row.reopened_at, "closing_reopened", subject=row, template=_LINE,
                                user=row.reopened_by))
    return events


_LINE = "cases/closing/_closing_line.html"
extensions.add_panel("side", "cases/closing/_panel.html", 90)
extensions.add_history_source(closing_events)


def _waiting():
    return scoped(CaseClosing).where(CaseClosing.status == ClosingStatus.PROPOSED.value)


@bp.post("/cases/<int:case_id>/closing")
@permission_required("closings.propose")
def propose(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = close_form()
    if form.validate_on_submit():
        try:
            closing = propose_closing(case, form.reason.data, evidence=form.evidence.data or "", actor=current_user)
        except ClosingError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Case closed: its balance is written off.") if closing.status == ClosingStatus.CLOSED else
                  _("Closing proposed: a manager confirms it."), "success")
    else:
        flash_form_errors(form)
    return _to_case(case.id)


@bp.get("/closings")
@permission_required("closings.decide")
def index():
    waiting = db.session.scalars(_waiting().order_by(CaseClosing.proposed_at)).all()
    return render_template("cases/closing/index.html", closings=waiting, form=DecisionForm())


@bp.post("/closings/<int:closing_id>/decide")
@permission_required("closings.decide")
def decide(closing_id: int):
    closing = get_scoped_or_404(CaseClosing, closing_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if request.form.get("decision") == "confirm":
                confirm_closing(closing, actor=current_user, note=form.note.data or "")
            else:
                reject_closing(closing, actor=current_user, note=form.note.data or "")
        except ClosingError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Case %(reference)s closed.", reference=closing.case.reference)
                  if closing.status == ClosingStatus.CLOSED else
                  _("Case %(reference)s stays open.", reference=closing.case.reference), "success")
    else:
        flash_form_errors(form)
    return redirect(request.referrer if request.referrer and "/cases/" in request.referrer
                    else url_for("closing.index"))


@bp.post("/cases/<int:case_id>/reopen")
@permission_required("closings.decide")
def reopen(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            reopen_case(case, reason=form.reason.data or "", actor=current_user)
        except ClosingError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Case reopened: the write-off is reversed and the case is back in the queue."), "success")
    else:
        flash_form_errors(form)
    return _to_case(case.id)


MAX_FILE_BYTES = 5 * 1024 * 1024  # a million references fit in a few megabytes


@bp.route("/closings/bulk", methods=["GET", "POST"])
@permission_required("closings.decide")
def bulk():
    form = BulkCloseForm()
    form.reason.choices = _reason_choices()
    if form.validate_on_submit():
        try:
            batch = ask_batch(_references(form), form.reason.data, evidence=form.evidence.data or "",
                              actor=current_user)
        except ClosingError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None)
            if field is not None:
                field.errors = [*field.errors, str(exc)]
            else:
                flash(str(exc), "danger")
        else:
            batch.job_id = f"closing-batch-{batch.id}"
            enqueue(close_batch_job, batch.id, job_id=batch.job_id)
            db.session.commit()
            return redirect(url_for("closing.batch", batch_id=batch.id))
    return render_template("cases/closing/bulk.html", form=form)


def _references(form: BulkCloseForm) -> str:
    text = form.references.data or ""
    upload = form.file.data
    if upload and upload.filename:
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ClosingError(_("The file is larger than 5 MB."), "file")
        text += "\n" + data.decode("utf-8-sig", errors="replace")
    return text


@bp.get("/closings/bulk/<int:batch_id>")
@permission_required("closings.decide")
def batch(batch_id: int):
    return render_template("cases/closing/batch.html", batch=_batch_or_404(batch_id))


@bp.get("/closings/bulk/<int:batch_id>/progress")
@permission_required("closings.decide")
def batch_progress(batch_id: int):
    found = _batch_or_404(batch_id)
    running = found.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
    # The progress bar's script polls while the status reads "importing".
    return jsonify({"status": "importing" if running else found.status, "job": job_progress(found.job_id)})


def _batch_or_404(batch_id: int) -> ClosingBatch:
    found = db.session.get(ClosingBatch, batch_id)  # managers only: a batch belongs to the agency
    if found is None:
        abort(404)
    return found


def _to_case(case_id: int):
    return redirect(url_for("cases.show", case_id=case_id, _anchor="closing"))
