"""Pages of the client's decisions on a case: recall, credit notes, the answer to an upheld dispute.

Client users act from the case in their portal; staff record a credit note the client sent by e-mail.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from agency.auth import can, get_scoped_or_404, permission_required, scoped
from agency.clock import today
from agency.db import db
from agency.flashes import flash_form_errors
from agency.models import Role
from agency.money import AmountError, format_money, parse_amount
from cases import extensions
from cases.closing import credit_notes, recall
from cases.closing.closing import CLOSED
from cases.closing.credit_notes import CreditNoteError
from cases.closing.recall import RecallError
from cases.closing.recall_forms import CreditNoteForm, DecisionForm, RecallForm
from cases.models import Case
from cases.models.recall import ClientDecision, DecisionStatus
from cases.timeline import Event

bp = Blueprint("recall", __name__)

DECISION = {"waiting": _l("waiting for the client"), "credit_note": _l("credit note posted"),
            "withdrawn": _l("claim withdrawn"), "maintained": _l("claim maintained")}


def credit_note_form(case: Case) -> CreditNoteForm:
    form = CreditNoteForm()
    left = credit_notes.principal_left(case)
    form.claim.choices = [SelectChoice(str(c.id), f"{c.invoice_number} — {format_money(left[c.id], case.currency)}")
                          for c in case.claims if left[c.id] > 0]
    return form


@bp.app_context_processor
def recall_helpers() -> dict:
    return {"recall_state": _state, "recall_forms": {"recall": RecallForm, "credit_note": credit_note_form,
                                                     "decision": DecisionForm},
            "decisions_waiting_count": _waiting_count, "decision_labels": DECISION}


def _state(case: Case) -> dict:
    fee, vat, notice = recall.recall_terms(case, today())
    return {"recalls": recall.recalls_of(case), "pending": recall.pending_recall(case),
            "judicial": recall.in_judicial_stage(case), "fee": fee, "vat": vat, "notice": notice,
            "credit_notes": credit_notes.credit_notes_of(case), "decision": credit_notes.waiting_decision(case)}


def _waiting():
    """The decisions a client still owes: those of cases closed meanwhile wait no more (unless reopened)."""
    return (scoped(ClientDecision).join(Case, Case.id == ClientDecision.case_id)
            .where(ClientDecision.status == DecisionStatus.WAITING.value, Case.status.not_in(CLOSED)))


def _waiting_count() -> int:
    if not can("decisions.answer"):
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(_waiting().subquery()))


def recall_events(case: Case) -> list[Event]:
    """Recalls, credit notes and the client's decisions, for staff's history of the case."""
    events = [Event(r.requested_at, "recall", subject=r, template="cases/closing/_history_line.html",
                    user=r.requested_by) for r in recall.recalls_of(case)]
    events += [Event(n.recorded_at, "credit_note", subject=n, template="cases/closing/_history_line.html",
                     user=n.recorded_by) for n in credit_notes.credit_notes_of(case)]
    decisions = db.session.scalars(sa.select(ClientDecision).where(ClientDecision.case_id == case.id))
    events += [Event(d.answered_at or d.asked_at, "client_decision", subject=d,
                     template="cases/closing/_history_line.html", user=d.answered_by) for d in decisions]
    return events


extensions.add_panel("side", "cases/closing/_client_panel.html", 85)
extensions.add_history_source(recall_events)


@bp.post("/cases/<int:case_id>/recall")
@permission_required("recalls.request")
def recall_case(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = RecallForm()
    if form.validate_on_submit():
        try:
            row = recall.recall_case(case, reason=form.reason.data or "", actor=current_user,
                                     judicial_confirmed=bool(form.judicial_confirmed.data))
        except RecallError as exc:
            db.session.rollback()
            _flash_error(form, exc)
        else:
            db.session.commit()
            flash(_("Case recalled: it is closed.") if row.status == "closed" else
                  _("Case recalled: it closes on %(date)s, at the end of the mandate's notice.",
                    date=row.effective_on.strftime("%d/%m/%Y")), "success")
    else:
        flash_form_errors(form)
    return _to_case(case.id)


@bp.post("/cases/<int:case_id>/credit-notes")
@permission_required("credit_notes.post")
def post_credit_note(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = credit_note_form(case)
    if form.validate_on_submit():
        try:
            amount = parse_amount(form.amount.data or "")
        except AmountError:
            flash(f"{form.amount.label.text} : {_('Not an amount.')}", "danger")
            return _to_case(case.id)
        try:
            credit_notes.post_credit_note(
                case, claim_id=int(form.claim.data) if (form.claim.data or "").isdigit() else None,
                amount_cents=amount, reference=form.reference.data or "", issued_on=form.issued_on.data,
                actor=current_user, via="portal" if current_user.role == Role.CLIENT else "staff")
        except CreditNoteError as exc:
            db.session.rollback()
            _flash_error(form, exc)
        else:
            db.session.commit()
            flash(_("Credit note recorded: the invoice is reduced and interest computed again.")
                  if case.status != "closed" else _("Credit note recorded: nothing is left, the case is closed."),
                  "success")
    else:
        flash_form_errors(form)
    return _to_case(case.id)


@bp.get("/decisions")
@permission_required("decisions.answer")
def decisions():
    waiting = db.session.scalars(_waiting().order_by(ClientDecision.asked_at)).all()
    return render_template("cases/closing/decisions.html", decisions=waiting)


@bp.post("/decisions/<int:decision_id>")
@permission_required("decisions.answer")
def answer(decision_id: int):
    decision = get_scoped_or_404(ClientDecision, decision_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            credit_notes.answer_decision(decision, choice=form.choice.data or "", reason=form.reason.data or "",
                                         actor=current_user)
        except CreditNoteError as exc:
            db.session.rollback()
            _flash_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your decision is recorded."), "success")
    else:
        flash_form_errors(form)
    return _to_case(decision.case_id)


def _to_case(case_id: int):
    return redirect(url_for("cases.show", case_id=case_id, _anchor="client-decisions"))


def _flash_error(form, exc: RecallError | CreditNoteError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    named = field is not None and field.type != "BooleanField"  # a checkbox's label is a sentence, not a name
    flash(f"{field.label.text} : {exc}" if named else str(exc), "danger")
