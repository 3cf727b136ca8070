"""Pages of judicial escalation on a case: the panel, proposing, approving, the client's decision, the steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.flashes import flash_form_errors
from cases import extensions
from cases.judicial import costs, deadlines, labels
from cases.judicial.forms import (
    ApproveForm,
    CostForm,
    ProposeForm,
    ReasonForm,
    StepForm,
)
from cases.judicial.proceedings import (
    JudicialError,
    approve_by_manager,
    awaiting_client,
    decide_by_client,
    proceedings_of,
    propose,
    suggestion_for,
    why_not_propose,
    withdraw,
)
from cases.judicial.routes import Suggestion
from cases.judicial.steps import WITH_TITLE, TitleValues, allowed_steps, record_step
from cases.models import Case, Proceeding, Route, StepKind
from cases.timeline import Event

bp = Blueprint("judicial", __name__)


@dataclass(frozen=True)
class Panel:
    """What the case page's judicial panel shows."""

    current: Proceeding | None
    earlier: list[Proceeding]
    why_not: str | None  # why no route may be proposed now (staff read it)
    suggestion: Suggestion | None  # when one may be proposed
    deadlines: list[deadlines.Deadline]
    steps: list[StepKind]  # what may be recorded next
    costs: dict[str, int]
    on: date  # today, for the days left


def judicial_panel(case: Case) -> Panel:
    found = proceedings_of(case)
    current = next((p for p in found if p.is_open), None)
    on = today()
    why_not = why_not_propose(case, on) if current is None else None
    suggestion = suggestion_for(case, on) if current is None and why_not is None else None
    return Panel(current, [p for p in found if p is not current], str(why_not) if why_not else None, suggestion,
                 deadlines.deadlines_of(current) if current else [], allowed_steps(current) if current else [],
                 costs.advanced_costs(current) if current else {}, on)


@bp.app_context_processor
def judicial_helpers() -> dict:
    return {
        "judicial_panel": judicial_panel,
        "judicial_labels": labels,
        "judicial_to_decide_count": lambda: len(awaiting_client(current_user.client_id)) if can("judicial.decide") else 0,
        "judicial_forms": {"propose": ProposeForm, "approve": ApproveForm, "reason": ReasonForm, "step": StepForm,
                           "cost": CostForm},
        "judicial_with_title": [k.value for k in WITH_TITLE],
        "judicial_cost_kinds": costs.COST_KINDS,
    }


def judicial_events(case: Case) -> list[Event]:
    """Each step of the case's proceedings, for staff's history of the case."""
    return [Event(step.created_at, "judicial_step", subject=step, template="cases/judicial/_history_line.html",
                  user=step.created_by)
            for proceeding in proceedings_of(case) for step in proceeding.steps]


extensions.add_panel("main", "cases/judicial/_panel.html", 10)
extensions.add_history_source(judicial_events)


@bp.post("/cases/<int:case_id>/judicial/propose")
@permission_required("judicial.propose")
def propose_route(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = ProposeForm()
    if form.validate_on_submit():
        try:
            proceeding = propose(case, actor=current_user, route=Route(form.route.data), reason=form.reason.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Route proposed (%(reference)s): a manager approves it next.", reference=proceeding.reference),
                  "success")
    else:
        flash_form_errors(form)
    return back_to_case(case.id)


@bp.post("/judicial/<int:proceeding_id>/approve")
@permission_required("judicial.approve")
def approve(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            approve_by_manager(proceeding, actor=current_user, route=Route(form.route.data),
                               reason=form.reason.data or "", court=form.court.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Approved: the client is asked for its approval in its portal."), "success")
    else:
        flash_form_errors(form)
    return back_to_case(proceeding.case_id)


@bp.post("/judicial/<int:proceeding_id>/withdraw")
@permission_required("judicial.approve")
def withdraw_proceeding(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            withdraw(proceeding, actor=current_user, reason=form.reason.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Proceeding withdrawn: the case is back in the amicable stage."), "info")
    else:
        flash_form_errors(form)
    return back_to_case(proceeding.case_id)


@bp.get("/judicial/decisions")
@permission_required("judicial.decide")
def decisions():
    return render_template("cases/judicial/decisions.html", proceedings=awaiting_client(current_user.client_id),
                           form=ReasonForm())


@bp.post("/judicial/<int:proceeding_id>/decide")
@permission_required("judicial.decide")
def decide(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = ReasonForm()
    approve = request.form.get("decision") == "approve"
    if form.validate_on_submit():
        try:
            decide_by_client(proceeding, actor=current_user, approve=approve, reason=form.reason.data or "")
        except JudicialError as exc:
            db.session.rollback()
            flash(_("%(reference)s: %(reason)s", reference=proceeding.reference, reason=str(exc)), "danger")
        else:
            db.session.commit()
            flash(_("Approved: the agency prepares the file for the court.") if approve else
                  _("Refused: the case stays in the amicable stage; the agency reads your reason."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("judicial.decisions"))


@bp.post("/judicial/<int:proceeding_id>/steps")
@permission_required("judicial.record")
def add_step(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = StepForm()
    if form.validate_on_submit():
        kind = StepKind(form.kind.data)
        title = None
        if kind in WITH_TITLE:
            amounts = form.amounts()
            if len(amounts) < 4:  # an amount was refused: its field says why
                flash_form_errors(form)
                return back_to_case(proceeding.case_id)
            title = TitleValues(court=form.court.data or "", number=form.number.data or "",
                                principal_cents=amounts["principal"], interest_cents=amounts["interest"],
                                interest_from=form.interest_from.data, article_700_cents=amounts["article_700"],
                                costs_cents=amounts["costs"])
        try:
            record_step(proceeding, kind, form.occurred_on.data, actor=current_user, note=form.note.data or "",
                        internal=form.internal.data, title=title)
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Step recorded: %(step)s.", step=labels.STEP[kind.value]), "success")
    else:
        flash_form_errors(form)
    return back_to_case(proceeding.case_id)


@bp.post("/judicial/<int:proceeding_id>/costs")
@permission_required("judicial.record")
def add_cost(proceeding_id: int):
    proceeding = get_scoped_or_404(Proceeding, proceeding_id)
    form = CostForm()
    if form.validate_on_submit():
        try:
            costs.record_cost(proceeding, kind=form.kind.data, amount_cents=form.amount.cents,
                              incurred_on=form.incurred_on.data, actor=current_user, label=form.label.data or "",
                              advanced_by=form.advanced_by.data)
        except JudicialError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Cost recorded."), "success")
    else:
        flash_form_errors(form)
    return back_to_case(proceeding.case_id)


def back_to_case(case_id: int, anchor: str = "judicial"):
    return redirect(url_for("cases.show", case_id=case_id, _anchor=anchor))
