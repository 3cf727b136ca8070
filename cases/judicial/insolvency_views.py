"""Pages of a claim declared in the debtor's insolvency: the case panel, preparing the declaration, its
filing and its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, current_app, flash
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.flashes import flash_form_errors
from agency.models import AgencyProfile
from cases import extensions
from cases.judicial import labels
from cases.judicial.forms import InsolvencyFilingForm, InsolvencyOutcomeForm, InsolvencyPrepareForm
from cases.judicial.insolvency import (
    claim_of,
    filing_deadline,
    insolvency_hold,
    prepare_claim,
    record_filing,
    record_outcome,
)
from cases.judicial.proceedings import JudicialError
from cases.judicial.views import back_to_case
from cases.letters.storage import DocumentError, pdf_response, read_document
from cases.models import Case, ClaimStatus, InsolvencyClaim
from debtors.models import Hold

bp = Blueprint("insolvency", __name__)


@dataclass(frozen=True)
class InsolvencyPanel:
    """What the case page shows while the debtor is under insolvency proceedings."""

    hold: Hold
    claim: InsolvencyClaim | None
    deadline: date | None
    on: date


def insolvency_panel(case: Case) -> InsolvencyPanel | None:
    hold = insolvency_hold(case)
    if hold is None:
        return None
    claim = claim_of(case, hold)
    return InsolvencyPanel(hold, claim, claim.deadline_on if claim else filing_deadline(case, hold), today())


@bp.app_context_processor
def insolvency_helpers() -> dict:
    return {"insolvency_panel": insolvency_panel, "insolvency_labels": labels.CLAIM_STATUS,
            "insolvency_forms": {"prepare": InsolvencyPrepareForm, "filing": InsolvencyFilingForm,
                                 "outcome": InsolvencyOutcomeForm}}


extensions.add_panel("main", "cases/judicial/_insolvency.html", 11)


@bp.post("/cases/<int:case_id>/insolvency/prepare")
@permission_required("judicial.record")
def prepare_insolvency_claim(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = InsolvencyPrepareForm()
    if form.validate_on_submit():
        try:
            claim = prepare_claim(case, agency_profile(), actor=current_user, securities=form.securities.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Declaration %(reference)s prepared: send it to the mandataire before the deadline.",
                    reference=claim.reference), "success")
    else:
        flash_form_errors(form)
    return back_to_case(case.id, "insolvency")


@bp.get("/insolvency/<int:claim_id>/declaration.pdf")
@permission_required("judicial.view")
def insolvency_declaration(claim_id: int):
    claim = get_scoped_or_404(InsolvencyClaim, claim_id)
    try:
        data = read_document(claim.file_path, claim.sha256)
    except DocumentError as exc:  # said on the case, as for the judicial file and letters
        current_app.logger.error("declaration %s not served: %s", claim.reference, exc)
        flash(_("The stored file %(name)s is missing or does not match its recorded fingerprint: it was not served. "
                "Tell your administrator.", name=claim.reference), "danger")
        return back_to_case(claim.case_id, "insolvency")
    return pdf_response(data, claim.reference, claim.sha256)


@bp.post("/insolvency/<int:claim_id>/filing")
@permission_required("judicial.record")
def insolvency_filing(claim_id: int):
    claim = get_scoped_or_404(InsolvencyClaim, claim_id)
    form = InsolvencyFilingForm()
    if form.validate_on_submit():
        try:
            late = record_filing(claim, form.filed_on.data, actor=current_user, note=form.note.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Filed after the deadline: ask the judge-commissioner for relief within six months "
                    "(C. com. L622-26).") if late else _("Filing recorded."), "warning" if late else "success")
    else:
        flash_form_errors(form)
    return back_to_case(claim.case_id, "insolvency")


@bp.post("/insolvency/<int:claim_id>/outcome")
@permission_required("judicial.record")
def insolvency_outcome(claim_id: int):
    claim = get_scoped_or_404(InsolvencyClaim, claim_id)
    form = InsolvencyOutcomeForm()
    if form.validate_on_submit():
        try:
            record_outcome(claim, ClaimStatus(form.status.data), form.outcome_on.data, actor=current_user,
                           admitted_cents=form.admitted.cents or None, dividend_cents=form.dividend.cents,
                           note=form.note.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Outcome recorded."), "success")
    else:
        flash_form_errors(form)
    return back_to_case(claim.case_id, "insolvency")


def agency_profile() -> AgencyProfile:
    profile = db.session.get(AgencyProfile, 1)
    if profile is None:
        abort(409, _("Fill in the agency's profile first: the declaration prints it."))
    return profile
