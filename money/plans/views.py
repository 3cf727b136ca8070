"""Pages of plans: setting one up, the client's approvals, cancelling, the agreement letter, the case panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from babel.numbers import format_percent
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.jobs import enqueue
from cases.ledger import balance
from cases.letters.storage import DocumentError, pdf_response, read_document
from cases.models import Case
from money.models import PaymentPlan, PlanStatus
from money.plans import labels
from money.plans.forms import CancelForm, DecisionForm, PlanForm, amount_text
from money.plans.jobs import agreement_job
from money.plans.plans import (
    NO_PLAN_STATUSES,
    RUNNING,
    PlanError,
    approve_plan,
    awaiting_client,
    cancel_plan,
    decline_plan,
    forward_plan,
    limits_of,
    plans_of,
    propose_plan,
    refuse_plan,
    running_plan,
    split,
)
from money.plans.telling import plan_decision_message_job

bp = Blueprint("plans", __name__)


@dataclass(frozen=True)
class Panel:
    """What the case screen's plan panel shows."""

    current: PaymentPlan | None  # running or waiting for the client
    earlier: list[PaymentPlan]
    may_propose: bool


def plans_panel(case: Case) -> Panel:
    """Gather the case's plans for the panel; staff may set one up when none runs."""
    plans = plans_of(case)
    current = next((p for p in plans if p.status in RUNNING), None)
    may_propose = (current is None and can("plans.manage") and case.status not in NO_PLAN_STATUSES
                   and not case.debtor.active_holds)
    return Panel(current, [p for p in plans if p is not current], may_propose)


@bp.app_context_processor
def plan_helpers() -> dict:
    return {
        "plans_panel": plans_panel,
        "plans_to_approve_count": lambda: len(awaiting_client(current_user.client_id)) if can("plans.approve") else 0,
        "plan_labels": {"status": labels.STATUS, "status_color": labels.STATUS_COLOR,
                        "instalment": labels.INSTALMENT, "instalment_color": labels.INSTALMENT_COLOR},
        "plan_cancel_form": CancelForm,
        "plan_decision_form": DecisionForm,
    }


@bp.route("/cases/<int:case_id>/plans/new", methods=["GET", "POST"])
@permission_required("plans.manage")
def new(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    outstanding = balance(case.id).outstanding
    form = PlanForm()
    if not form.is_submitted():
        form.total.data = amount_text(max(outstanding, 0))
        form.first_due.data = today() + timedelta(days=7)
    elif form.show.data:
        if _valid_terms(form):
            try:
                form.fill_schedule(split(form.total_cents(), form.count.data, form.first_due.data, form.every.data))
            except PlanError as exc:
                _attach_error(form, exc)
    elif form.validate_on_submit() and (schedule := form.schedule()) is not None:
        try:
            plan = propose_plan(case, instalments=schedule, total_cents=form.total_cents(),
                                grace_days=form.grace_days.data, actor=current_user)
        except PlanError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            _after_start(plan)
            db.session.commit()  # the plan and the job preparing its agreement, together
            return redirect(url_for("cases.show", case_id=case.id, _anchor="plans"))
    limits = limits_of(case, today())
    page = render_template("money/plans/new.html", case=case, form=form, outstanding=outstanding, limits=limits,
                           max_discount=_percent(limits.max_discount_bp, 10_000), running=running_plan(case))
    return page, 400 if form.is_submitted() and _has_errors(form) else 200


def _valid_terms(form: PlanForm) -> bool:
    """Validate the fields the schedule is worked out from; the lines, about to be replaced, do not count."""
    form.validate_on_submit()
    for entry in form.instalments:
        for sub in entry.form:
            sub.errors = []
    return not any(field.errors for field in form if field.name != "instalments")


def _has_errors(form: PlanForm) -> bool:
    return bool(form.form_errors) or any(field.errors for field in form if field.name != "instalments") or any(
        sub.errors for entry in form.instalments for sub in entry.form)


def _after_start(plan: PaymentPlan) -> None:
    if plan.status == PlanStatus.ACTIVE:
        enqueue(agreement_job, plan.id, job_id=f"plan-agreement-{plan.id}")
        kind = _("Settlement") if plan.is_settlement else _("Payment plan")
        flash(_("%(kind)s %(reference)s agreed and running; the agreement letter is being prepared.",
                kind=kind, reference=plan.reference), "success")
    else:
        flash(_("Plan %(reference)s goes beyond the mandate's limits: it waits for the client's approval.",
                reference=plan.reference), "warning")


def _tell_debtor(plan: PaymentPlan) -> None:
    """A proposal the debtor made in their space is decided: they get a message saying so."""
    if plan.origin == "debtor":
        enqueue(plan_decision_message_job, plan.id, job_id=f"plan-decision-{plan.id}")


@bp.get("/plans/approvals")
@permission_required("plans.approve")
def approvals():
    plans = awaiting_client(current_user.client_id)
    return render_template(
        "money/plans/approvals.html", plans=plans, form=DecisionForm(),
        balances={p.id: balance(p.case_id).outstanding for p in plans},
        discounts={p.id: _percent(p.balance_cents - p.total_cents, p.balance_cents) for p in plans},
    )


def _percent(part: int, whole: int) -> str:
    if not whole:
        return ""
    # One decimal at most, written the reader's way (16,7 % in French, 16.7% in English).
    ratio = (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"))
    return format_percent(ratio, locale=get_locale(), decimal_quantization=False)


@bp.post("/plans/<int:plan_id>/approve")
@permission_required("plans.approve")
def approve(plan_id: int):
    plan = get_scoped_or_404(PaymentPlan, plan_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            approve_plan(plan, actor=current_user, note=form.note.data or "")
        except PlanError as exc:
            db.session.rollback()
            flash(_("Plan %(reference)s not approved: %(reason)s", reference=plan.reference, reason=str(exc)),
                  "danger")
        else:
            enqueue(agreement_job, plan.id, job_id=f"plan-agreement-{plan.id}")
            _tell_debtor(plan)
            db.session.commit()
            flash(_("Plan %(reference)s approved: it runs from now.", reference=plan.reference), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("plans.approvals"))


@bp.post("/plans/<int:plan_id>/refuse")
@permission_required("plans.approve")
def refuse(plan_id: int):
    plan = get_scoped_or_404(PaymentPlan, plan_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            refuse_plan(plan, actor=current_user, note=form.note.data or "")
        except PlanError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            _tell_debtor(plan)
            db.session.commit()
            flash(_("Plan %(reference)s refused; the agency is told.", reference=plan.reference), "info")
    else:
        _flash_errors(form)
    return redirect(url_for("plans.approvals"))


@bp.post("/plans/<int:plan_id>/<any(forward, decline):decision>")
@permission_required("plans.manage")
def agency_decision(plan_id: int, decision: str):
    """The agency's answer to a debtor's proposal beyond the mandate's limits: to the client, or declined."""
    plan = get_scoped_or_404(PaymentPlan, plan_id)
    form = DecisionForm()
    if form.validate_on_submit():
        operation = forward_plan if decision == "forward" else decline_plan
        try:
            operation(plan, actor=current_user, note=form.note.data or "")
        except PlanError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            if decision == "decline":
                _tell_debtor(plan)
            db.session.commit()
            flash(_("Plan %(reference)s sent to the client for its decision.", reference=plan.reference)
                  if decision == "forward" else
                  _("Plan %(reference)s declined; the debtor reads why in their space.", reference=plan.reference),
                  "info")
    else:
        _flash_errors(form)
    return redirect(url_for("cases.show", case_id=plan.case_id, _anchor="plans"))


@bp.post("/plans/<int:plan_id>/cancel")
@permission_required("plans.manage")
def cancel(plan_id: int):
    plan = get_scoped_or_404(PaymentPlan, plan_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancel_plan(plan, actor=current_user, reason=form.reason.data)
        except PlanError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Plan %(reference)s cancelled; the case is back in the queue.", reference=plan.reference),
                  "info")
    else:
        _flash_errors(form)
    return redirect(url_for("cases.show", case_id=plan.case_id, _anchor="plans"))


@bp.get("/plans/<int:plan_id>/agreement.pdf")
@permission_required("cases.view")
def agreement(plan_id: int):
    plan = get_scoped_or_404(PaymentPlan, plan_id)
    if not plan.agreement_sha256:
        abort(404)
    try:
        data = read_document(plan.agreement_path, plan.agreement_sha256)
    except DocumentError as exc:
        current_app.logger.error("plan agreement %s not served: %s", plan.reference, exc)
        flash(_("The stored agreement of plan %(reference)s is missing or does not match its recorded "
                "fingerprint: it was not served. Tell your administrator.", reference=plan.reference), "danger")
        return redirect(url_for("cases.show", case_id=plan.case_id, _anchor="plans"))
    return pdf_response(data, plan.reference, plan.agreement_sha256)


def _attach_error(form: PlanForm, exc: PlanError) -> None:
    """Show an operation's refusal under the field it names, else at the top of the form."""
    parts = exc.field.split("-")
    target = None
    if len(parts) == 3 and parts[0] == "instalments" and parts[1].isdigit() and int(parts[1]) < len(form.instalments):
        target = getattr(form.instalments.entries[int(parts[1])].form, parts[2], None)
    elif len(parts) == 1 and parts[0] not in ("", "instalments"):
        target = getattr(form, parts[0], None)
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        flash(" ".join(map(str, errors)), "danger")
