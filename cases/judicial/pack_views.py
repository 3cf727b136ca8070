"""The judicial file: the pack handed to the court, and the documents uploaded to it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required
from agency.db import db
from agency.flashes import flash_form_errors
from agency.models import AgencyProfile
from cases.judicial.documents import KINDS, add_document, download_name, max_bytes, megabytes
from cases.judicial.pack import PART_TITLES, PARTS, prepare_pack, why_no_pack
from cases.judicial.pack_forms import DocumentForm, PackForm
from cases.judicial.proceedings import JudicialError
from cases.letters.storage import DocumentError, file_response, pdf_response, read_document
from cases.models import Proceeding
from cases.models.judicial import JudicialDocument

bp = Blueprint("judicial_pack", __name__)


@bp.app_context_processor
def judicial_file_helpers() -> dict:
    return {"judicial_file_forms": {"pack": PackForm, "document": DocumentForm}, "judicial_pack_parts": PART_TITLES,
            "judicial_document_kinds": KINDS, "judicial_why_no_pack": why_no_pack,
            "judicial_document_max_mb": lambda: megabytes(max_bytes())}


@bp.post("/judicial/<int:proceeding_id>/pack")
@permission_required("judicial.record")
def prepare(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = PackForm()
    profile = db.session.get(AgencyProfile, 1)
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif profile is None:
        flash(_("Fill in the agency's profile first: the request names the agency as the creditor's agent."), "danger")
    else:
        try:
            prepare_pack(proceeding, profile, actor=current_user, on=form.pack_on.data)
        except JudicialError as exc:
            db.session.rollback()
            _flash_error(form, exc)
        else:
            db.session.commit()
            flash(_("The judicial file is prepared."), "success")
    return _to_case(proceeding)


@bp.get("/judicial/<int:proceeding_id>/pack.pdf")
@permission_required("judicial.view")
def pack_pdf(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    return _stored_pdf(proceeding, proceeding.pack_path, proceeding.pack_sha256, proceeding.reference)


@bp.get("/judicial/<int:proceeding_id>/pack/<part>.pdf")
@permission_required("judicial.view")
def pack_part(proceeding_id: int, part: str):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    stored = (proceeding.pack_parts or {}).get(part) if part in PARTS else None
    if stored is None:
        abort(404)
    return _stored_pdf(proceeding, stored["path"], stored["sha256"], f"{proceeding.reference}-{part}")


@bp.post("/judicial/<int:proceeding_id>/documents")
@permission_required("judicial.documents")
def upload(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_case(proceeding)
    upload_file = form.file.data
    try:
        document = add_document(proceeding, upload_file.stream, upload_file.filename or "", kind=form.kind.data,
                                title=form.title.data or "", actor=current_user)
    except JudicialError as exc:
        db.session.rollback()
        _flash_error(form, exc)
    else:
        db.session.commit()
        flash(_("Document “%(title)s” added to the judicial file.", title=document.title), "success")
    return _to_case(proceeding)


@bp.get("/judicial/documents/<int:document_id>")
@permission_required("judicial.view")
def document(document_id: int):
    row = get_scoped_or_404(JudicialDocument, document_id)
    try:
        data = read_document(row.file_path, row.sha256)
    except DocumentError as exc:
        return _not_served(row.proceeding, row.title, exc)
    inline = row.media_type in ("application/pdf", "image/png", "image/jpeg")
    return file_response(data, download_name(row), row.media_type, row.sha256, inline=inline)


def _stored_pdf(proceeding: Proceeding, path: str, sha256: str, name: str):
    if not path:
        abort(404)  # not prepared yet
    try:
        data = read_document(path, sha256)
    except DocumentError as exc:
        return _not_served(proceeding, name, exc)
    return pdf_response(data, name, sha256)


def _not_served(proceeding: Proceeding, name: str, exc: DocumentError):
    current_app.logger.error("judicial file %s not served: %s", name, exc)
    flash(_("The stored file %(name)s is missing or does not match its recorded fingerprint: it was not served. "
            "Tell your administrator.", name=name), "danger")
    return _to_case(proceeding)


def _to_case(proceeding: Proceeding):
    return redirect(url_for("cases.show", case_id=proceeding.case_id, _anchor="judicial-file"))


def _flash_error(form, exc: JudicialError) -> None:
    """Flash the refusal, naming the form field it concerns (the whole form when it names none)."""
    field = getattr(form, exc.field, None) if exc.field else None
    label = getattr(getattr(field, "label", None), "text", exc.field)
    flash(f"{label} : {exc}" if label else str(exc), "danger")
