"""Attachments: a case's (upload by staff, and client users on their own cases; download, visibility) and a debtor's
(staff only, listed on the debtor page)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required
from agency.db import db
from agency.flashes import flash_form_errors
from agency.storage import DocumentError, file_response, read_document
from cases import extensions
from cases.attachments.attachments import (
    AttachmentError,
    add_attachment,
    add_debtor_attachment,
    attachments_of,
    debtor_attachments_of,
    get_attachment_or_404,
    max_megabytes,
    set_visibility,
)
from cases.attachments.forms import AttachmentForm, VisibilityForm
from cases.judicial.documents import download_name
from cases.models import Case
from cases.models.attachments import DebtorAttachment
from debtors.models import Debtor

bp = Blueprint("attachments", __name__)

extensions.add_panel("main", "cases/attachments/_panel.html", order=45)


@bp.app_context_processor
def attachment_helpers() -> dict:
    return {"case_attachments": lambda case: attachments_of(case, current_user), "attachment_form": AttachmentForm,
            "attachment_visibility_form": VisibilityForm, "attachment_max_mb": max_megabytes,
            "debtor_attachments": debtor_attachments_of}


def _to_case(case_id: int):
    return redirect(url_for("cases.show", case_id=case_id, _anchor="attachments"))


@bp.post("/cases/<int:case_id>/attachments")
@permission_required("attachments.add")
def upload(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_case(case.id)
    upload_file = form.file.data
    try:
        row = add_attachment(case, upload_file.stream, upload_file.filename or "",
                             visible_to_client=form.visible_to_client.data, actor=current_user)
    except (AttachmentError, DocumentError) as exc:
        db.session.rollback()  # nothing of a refused or failed upload stays
        if isinstance(exc, DocumentError):
            current_app.logger.error("attachment to case %s not stored: %s", case.reference, exc)
            flash(_("The file could not be stored right now: nothing was added. Try again in a moment."), "danger")
        else:
            flash(_("File: %(reason)s", reason=str(exc)), "danger")
    else:
        db.session.commit()
        flash(_("“%(name)s” attached to the case.", name=row.filename), "success")
    return _to_case(case.id)


@bp.get("/attachments/<int:attachment_id>")
@permission_required("cases.view")
def download(attachment_id: int):
    row = get_attachment_or_404(attachment_id, current_user)
    return _served(row, _to_case(row.case_id))


def _served(row, back):
    try:
        data = read_document(row.file_path, row.sha256)
    except DocumentError as exc:
        current_app.logger.error("%s %s not served: %s", type(row).__name__, row.id, exc)
        flash(_("The stored file %(name)s is missing or does not match its recorded fingerprint: it was not served. "
                "Tell your administrator.", name=row.filename), "danger")
        return back
    # Always a download, with the type its bytes were found to be: never shown inside the platform's pages.
    response = file_response(data, download_name(row), row.media_type, row.sha256, inline=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _to_debtor(debtor_id: int):
    return redirect(url_for("debtors.show", debtor_id=debtor_id, _anchor="debtor-attachments"))


@bp.post("/debtors/<int:debtor_id>/attachments")
@permission_required("debtors.attachments")
def upload_debtor(debtor_id: int):
    # Debtors are shared by all clients and only staff hold this permission, so no tenant scope applies.
    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_debtor(debtor.id)
    upload_file = form.file.data
    try:
        row = add_debtor_attachment(debtor, upload_file.stream, upload_file.filename or "", actor=current_user)
    except (AttachmentError, DocumentError) as exc:
        db.session.rollback()  # nothing of a refused or failed upload stays
        if isinstance(exc, DocumentError):
            current_app.logger.error("attachment to debtor %s not stored: %s", debtor.id, exc)
            flash(_("The file could not be stored right now: nothing was added. Try again in a moment."), "danger")
        else:
            flash(_("File: %(reason)s", reason=str(exc)), "danger")
    else:
        db.session.commit()
        flash(_("“%(name)s” attached to the debtor.", name=row.filename), "success")
    return _to_debtor(debtor.id)


@bp.get("/debtor-attachments/<int:debtor_attachment_id>")
@permission_required("debtors.attachments")
def download_debtor(debtor_attachment_id: int):
    row = db.session.get(DebtorAttachment, debtor_attachment_id) or abort(404)
    return _served(row, _to_debtor(row.debtor_id))


@bp.post("/attachments/<int:attachment_id>/visibility")
@permission_required("cases.internal")
def visibility(attachment_id: int):
    row = get_attachment_or_404(attachment_id, current_user)
    form = VisibilityForm()
    if form.validate_on_submit():
        set_visibility(row, form.visible.data == "1", actor=current_user)
        db.session.commit()
    return _to_case(row.case_id)
