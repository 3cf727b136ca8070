"""Pages of letters: the case's letters panel, downloads, and the managers' approval of formal notices."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from cases.letters import labels
from cases.letters.dispatch import DispatchError, dispatch_state, mark_letter
from cases.letters.documents import postal_address
from cases.letters.forms import ApproveForm, CreateLetterForm, RejectForm
from cases.letters.letters import (
    LetterError,
    LetterOutOfOrder,
    LetterRefused,
    approve_letter,
    create_letter,
    first_notice_of,
    letter_verdict,
    letters_of,
    pending_count,
    pending_letters,
    preview_letter,
    reject_letter,
)
from cases.letters.sequence import Decision, letter_allowed
from cases.letters.storage import DocumentError, pdf_response, read_document
from cases.models import Case, Letter, LetterKind, LetterStatus
from debtors.compliance import Verdict
from debtors.models import ContactPoint

bp = Blueprint("letters", __name__)


@dataclass(frozen=True)
class Panel:
    """What the case screen's letters panel shows."""

    letters: list[Letter]
    first_notice: Letter | None
    address: ContactPoint | None  # staff only: where a letter would go
    verdict: Verdict | None  # staff only: may a letter go out now?
    offers: list[str]  # the kinds staff may ask for now
    form: CreateLetterForm | None
    # Staff only: the kinds the order of letters refuses for now, which a reason lets go anyway.
    out_of_order: dict[str, Decision] = dataclasses.field(default_factory=dict)


def letters_panel(case: Case) -> Panel:
    """Gather the letters panel of `case` for the current user (client users see issued letters only)."""
    staff = can("letters.create")
    letters = letters_of(case, issued_only=not staff)
    first = first_notice_of(case)
    if not staff:
        return Panel(letters, first, None, None, [], None)
    address = postal_address(case.debtor)
    verdict = letter_verdict(case, address)
    kinds = [LetterKind.FIRST_NOTICE] if first is None else [LetterKind.REMINDER, LetterKind.FORMAL_NOTICE]
    offers, out_of_order = [], {}
    for kind in kinds:
        decision = letter_allowed(case, kind.value, today())
        if decision.allowed:
            offers.append(kind.value)
        elif decision.overridable:
            out_of_order[kind.value] = decision
    return Panel(letters, first, address, verdict, offers, CreateLetterForm(), out_of_order)


@bp.app_context_processor
def letter_helpers() -> dict:
    return {
        "letters_panel": letters_panel,
        "pending_letter_count": lambda: pending_count() if can("letters.approve") else 0,
        "letter_labels": {"kind": labels.KIND, "status": labels.STATUS, "status_color": labels.STATUS_COLOR},
        "letter_state": dispatch_state,
    }


@bp.post("/cases/<int:case_id>/letters")
@permission_required("letters.create")
def create(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = CreateLetterForm()
    if not form.validate_on_submit():
        flash(_("This letter cannot be sent from here."), "danger")
        return _back_to(case)
    try:
        letter = create_letter(case, form.kind.data, actor=current_user, override_reason=form.reason.data or "")
    except LetterRefused as exc:
        db.session.commit()  # the refused attempt stays in the case's history
        flash(_("No letter sent: %(reason)s", reason=str(exc)), "warning")
    except LetterOutOfOrder as exc:
        db.session.rollback()
        if exc.decision.overridable:
            flash(_("No letter sent: %(reason)s To send it anyway, say why under the warning.", reason=str(exc)),
                  "warning")
        else:
            flash(str(exc), "danger")
    except LetterError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_created_message(letter), "success")
    return _back_to(case)


def _created_message(letter: Letter) -> str:
    if letter.status == LetterStatus.PENDING_APPROVAL:
        return _("Formal notice %(reference)s proposed: a manager must approve it before it is sent.",
                 reference=letter.reference)
    return _("%(kind)s %(reference)s issued; print it and post it to the address shown.",
             kind=labels.KIND[letter.kind], reference=letter.reference)


def _back_to(case: Case):
    return redirect(url_for("cases.show", case_id=case.id, _anchor="letters"))


@bp.get("/letters/<int:letter_id>.pdf")
@permission_required("letters.view")
def download(letter_id: int):
    letter = get_scoped_or_404(Letter, letter_id)
    if letter.status != LetterStatus.ISSUED:
        abort(404)  # only an issued letter has a file
    try:
        data = read_document(letter.file_path, letter.sha256)
    except DocumentError as exc:
        current_app.logger.error("letter %s not served: %s", letter.reference, exc)
        flash(_("The stored file of letter %(reference)s is missing or does not match its recorded "
                "fingerprint: it was not served. Tell your administrator.", reference=letter.reference), "danger")
        return _back_to(letter.case)
    return pdf_response(data, letter.reference, letter.sha256)


@bp.get("/letters/approvals")
@permission_required("letters.approve")
def approvals():
    return render_template(
        "cases/letters/approvals.html",
        letters=pending_letters(),
        approve_form=ApproveForm(),
        reject_form=RejectForm(),
    )


@bp.get("/letters/<int:letter_id>/preview.pdf")
@permission_required("letters.approve")
def preview(letter_id: int):
    letter = get_scoped_or_404(Letter, letter_id)
    if letter.status != LetterStatus.PENDING_APPROVAL:
        return redirect(url_for("letters.download", letter_id=letter.id))
    try:
        data = preview_letter(letter)
    except LetterError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("letters.approvals"))
    return pdf_response(data, f"{letter.reference}-draft", None)


@bp.post("/letters/<int:letter_id>/approve")
@permission_required("letters.approve")
def approve(letter_id: int):
    letter = get_scoped_or_404(Letter, letter_id)
    if ApproveForm().validate_on_submit():
        try:
            approve_letter(letter, actor=current_user)
        except LetterError as exc:
            db.session.rollback()
            flash(_("Formal notice %(reference)s not issued: %(reason)s", reference=letter.reference,
                    reason=str(exc)), "danger")
        else:
            db.session.commit()
            flash(_("Formal notice %(reference)s approved and issued; print it and post it.",
                    reference=letter.reference), "success")
    return redirect(url_for("letters.approvals"))


@bp.post("/letters/<int:letter_id>/reject")
@permission_required("letters.approve")
def reject(letter_id: int):
    letter = get_scoped_or_404(Letter, letter_id)
    form = RejectForm()
    if not form.validate_on_submit():
        for error in form.note.errors:
            flash(str(error), "danger")
        return redirect(url_for("letters.approvals"))
    try:
        reject_letter(letter, actor=current_user, note=form.note.data)
    except LetterError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Formal notice %(reference)s rejected; it will not be sent.", reference=letter.reference), "info")
    return redirect(url_for("letters.approvals"))


@bp.post("/letters/<int:letter_id>/mark/<any(printed, sent):mark>")
@permission_required("letters.create")
def mark(letter_id: int, mark: str):
    letter = get_scoped_or_404(Letter, letter_id)
    if not FlaskForm().validate_on_submit():  # the CSRF token of the button
        abort(400)
    try:
        mark_letter(letter, mark, actor=current_user)
    except DispatchError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Letter %(reference)s marked printed.", reference=letter.reference) if mark == "printed"
              else _("Letter %(reference)s marked sent.", reference=letter.reference), "success")
    return redirect(url_for("cases.show", case_id=letter.case_id, _anchor="letters"))
