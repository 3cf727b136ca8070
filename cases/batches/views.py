"""Pages of bulk work: asking for a batch from the case list, following it, its export, resuming it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import permission_required
from agency.db import db
from agency.jobs import enqueue
from agency.storage import DocumentError, file_response, read_document
from cases.batches import labels
from cases.batches.actions import ACTIONS, BatchError
from cases.batches.bar import action_bar
from cases.batches.batches import CAPPED, MAX_SELECTION, ask_batch, resume_batch, run_batch_job
from cases.batches.forms import FILTER, ResumeForm
from cases.models import BatchStatus, Case, CaseBatch, CaseBatchItem, ItemOutcome
from cases.views import list_filters, render_list

bp = Blueprint("batches", __name__, url_prefix="/cases/batches")
SHOWN_ITEMS = 500  # the skipped and failed cases listed on the page; the audit trail keeps every one


@bp.app_context_processor
def _batch_helpers() -> dict:
    return {"batch_labels": labels}


@bp.post("/")
@permission_required("cases.bulk")
def create():
    form = action_bar()
    filters = list_filters(request.form)
    ticked = [int(value) for value in request.form.getlist("case") if value.isdigit()]
    if form.validate_on_submit():
        try:
            batch = ask_batch(form.action.data, form.data, actor=current_user,
                              case_ids=None if form.scope.data == FILTER else ticked,
                              filters=filters if form.scope.data == FILTER else None)
        except BatchError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) or form.action
            field.errors = [*field.errors, str(exc)]
        else:
            batch.job_id = f"case-batch-{batch.id}"
            enqueue(run_batch_job, batch.id, job_id=batch.job_id)
            db.session.commit()
            return redirect(url_for("batches.show", case_batch_id=batch.id))
    return render_list(filters, batch_form=form, ticked=frozenset(ticked), status=400)


@bp.get("/")
@permission_required("cases.bulk")
def index():
    batches = db.session.scalars(sa.select(CaseBatch).order_by(CaseBatch.id.desc()).limit(100)).all()
    return render_template("cases/batches/index.html", batches=batches, actions=ACTIONS)


@bp.get("/<int:case_batch_id>")
@permission_required("cases.bulk")
def show(case_batch_id: int):
    batch = _batch_or_404(case_batch_id)
    items = db.session.execute(
        sa.select(CaseBatchItem, Case.reference).join(Case, Case.id == CaseBatchItem.case_id)
        .where(CaseBatchItem.batch_id == batch.id, CaseBatchItem.outcome != ItemOutcome.DONE.value)
        .order_by(CaseBatchItem.outcome, CaseBatchItem.case_id).limit(SHOWN_ITEMS)).all()
    return render_template("cases/batches/show.html", batch=batch, action=ACTIONS[batch.action], items=items,
                           shown=SHOWN_ITEMS, capped=batch.note == CAPPED, cap=MAX_SELECTION,
                           resume_form=ResumeForm())


@bp.get("/<int:case_batch_id>/progress")
@permission_required("cases.bulk")
def progress(case_batch_id: int):
    batch = _batch_or_404(case_batch_id)
    running = batch.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
    # Counted from the batch's own row, which the job updates with each chunk it commits: it holds when the worker
    # that ran it is gone. The progress bar's script (static/progress.js) polls while the status reads "importing".
    return jsonify({"status": "importing" if running else batch.status, "total": batch.total,
                    "done": batch.done_count, "skipped": batch.skipped_count, "failed": batch.failed_count,
                    "job": {"done": batch.processed, "total": batch.total}})


@bp.get("/<int:case_batch_id>/export.csv")
@permission_required("cases.bulk")
def download(case_batch_id: int):
    batch = _batch_or_404(case_batch_id)
    if batch.action != "export" or not batch.file_path:
        abort(404)  # only a finished export has a file
    try:
        data = read_document(batch.file_path, batch.sha256)
    except DocumentError as exc:
        current_app.logger.error("export of batch %s not served: %s", batch.id, exc)
        flash(_("The stored file of this export is missing or does not match its recorded fingerprint: it was not "
                "served. Tell your administrator."), "danger")
        return redirect(url_for("batches.show", case_batch_id=batch.id))
    return file_response(data, f"dossiers-{batch.id}-{batch.created_at.date().isoformat()}.csv", "text/csv",
                         batch.sha256, inline=False)


@bp.post("/<int:case_batch_id>/resume")
@permission_required("cases.bulk")
def resume(case_batch_id: int):
    batch = _batch_or_404(case_batch_id)
    form = ResumeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        resume_batch(batch, actor=current_user)
    except BatchError as exc:
        flash(str(exc), "warning")
    else:
        # A new job id: RQ may still keep the stopped job under the first one.
        batch.job_id = f"case-batch-{batch.id}-{batch.processed}"
        enqueue(run_batch_job, batch.id, job_id=batch.job_id)
        db.session.commit()
        flash(_("The batch goes on: the cases already processed are left as they are."), "success")
    return redirect(url_for("batches.show", case_batch_id=batch.id))


def _batch_or_404(batch_id: int) -> CaseBatch:
    found = db.session.get(CaseBatch, batch_id)  # managers only: a batch belongs to the agency
    if found is None:
        abort(404)
    return found
