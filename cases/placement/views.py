"""Placement pages: upload, column mapping, preview with progress, confirmation, history."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from agency.auth import get_scoped_or_404, permission_required, scoped
from agency.db import db
from agency.jobs import enqueue, job_progress
from agency.models import Client
from agency.spreadsheet import csv_text
from cases.placement.fields import FIELDS
from cases.placement.forms import ConfirmForm, UploadForm
from cases.placement.jobs import check_placement_job, import_placement_job
from cases.placement.models import Placement, PlacementSource, PlacementStatus
from cases.placement.placements import (
    PlacementError,
    cancel_placement,
    confirm_placement,
    previous_upload,
    receive_file,
    set_mapping,
)

bp = Blueprint("placements", __name__, url_prefix="/placements")


@bp.get("/")
@permission_required("placements.view")
def index():
    rows = db.session.scalars(scoped(Placement).order_by(Placement.id.desc()).limit(200)).all()
    return render_template("cases/placements/list.html", placements=rows)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("placements.create")
def new():
    form = _upload_form()
    if form.validate_on_submit():
        client = (
            current_user.client if not current_user.is_staff else db.session.get(Client, form.client_id.data)
        )
        if client is None:
            form.client_id.errors.append(_("Choose the client placing the file."))
        else:
            upload = form.file.data
            try:
                placement = receive_file(
                    client,
                    upload.read(),
                    upload.filename or "placement.csv",
                    actor=current_user,
                    source=PlacementSource.UPLOAD.value,
                )
            except PlacementError as exc:
                form.file.errors.append(str(exc))
            else:
                return _after_receive(placement)
    return render_template("cases/placements/new.html", form=form), 400 if form.errors else 200


def _upload_form() -> UploadForm:
    form = UploadForm()
    if current_user.is_staff:
        clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
        form.client_id.choices = [SelectChoice(c.id, c.name) for c in clients]
    else:
        del form.client_id
    return form


def _after_receive(placement: Placement):
    db.session.commit()
    earlier = previous_upload(placement)
    if earlier is not None and earlier.status == PlacementStatus.IMPORTED:
        flash(
            _(
                "This file was already placed on %(date)s (placement %(id)d): invoices placed then will not "
                "be placed again.",
                date=format_datetime(earlier.imported_at or earlier.created_at, "short"),
                id=earlier.id,
            ),
            "warning",
        )
    elif earlier is not None:
        flash(
            _(
                "This file was already uploaded on %(date)s (placement %(id)d), but not imported.",
                date=format_datetime(earlier.created_at, "short"),
                id=earlier.id,
            ),
            "info",
        )
    if placement.status == PlacementStatus.MAPPING:
        return redirect(url_for("placements.mapping", placement_id=placement.id))
    _start_check(placement)
    return redirect(url_for("placements.show", placement_id=placement.id))


def _start_check(placement: Placement) -> None:
    _enqueue_for(placement, "check", check_placement_job, placement.id)


def _enqueue_for(placement: Placement, step: str, job, *args) -> None:
    """Enqueue the step's job under an id the progress bar can find, and commit both together.

    The job reaches the workers once the placement is committed as it is now (agency.outbox).
    """
    placement.job_id = f"placement-{placement.id}-{step}"
    enqueue(job, *args, job_id=placement.job_id)
    db.session.commit()


@bp.route("/<int:placement_id>/mapping", methods=["GET", "POST"])
@permission_required("placements.create")
def mapping(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        chosen = {f.key: int(v) for f in FIELDS if (v := request.form.get(f"field_{f.key}", "")) != ""}
        try:
            set_mapping(placement, chosen, current_user)
        except PlacementError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            _start_check(placement)
            return redirect(url_for("placements.show", placement_id=placement.id))
    return render_template(
        "cases/placements/mapping.html",
        placement=placement,
        fields=FIELDS,
        form=form,
        samples=placement.samples or [],  # kept at upload: the file is not read again for a page
        chosen=request.form or None,
    )


@bp.get("/<int:placement_id>")
@permission_required("placements.view")
def show(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    return render_template(
        "cases/placements/show.html",
        placement=placement,
        form=ConfirmForm(),
        report=placement.report or {},
        fields={f.key: f.label for f in FIELDS},
    )


@bp.get("/<int:placement_id>/progress")
@permission_required("placements.view")
def progress(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    return jsonify(
        {
            "status": placement.status,
            "rows_total": placement.rows_total,
            "job": job_progress(placement.job_id),
        }
    )


@bp.post("/<int:placement_id>/confirm")
@permission_required("placements.create")
def confirm(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        confirm_placement(placement, current_user)
    except PlacementError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("placements.show", placement_id=placement.id))
    _enqueue_for(placement, "import", import_placement_job, placement.id, current_user.id)
    return redirect(url_for("placements.show", placement_id=placement.id))


@bp.post("/<int:placement_id>/cancel")
@permission_required("placements.create")
def cancel(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cancel_placement(placement, current_user)
    except PlacementError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Placement cancelled: nothing was written."), "info")
    return redirect(url_for("placements.show", placement_id=placement.id))


@bp.get("/<int:placement_id>/rejections.csv")
@permission_required("placements.view")
def rejections_csv(placement_id: int):
    placement = get_scoped_or_404(Placement, placement_id)
    rows = [[_("Line"), _("Column"), _("Value"), _("Reason")]]
    # The column and the value are what the client's file held: the writer keeps them from running as formulas.
    rows += [[r["line"], r["column"], str(r["value"]), r["reason"]] for r in (placement.report or {}).get("rejections", [])]
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=placement-{placement.id}-rejets.csv"},
    )
