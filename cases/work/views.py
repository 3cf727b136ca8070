"""Pages of cases.work: record a call, a promise, a callback; open and resolve a dispute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Form, SelectChoice

from agency.auth import can, get_scoped_or_404, permission_required
from agency.db import db, utcnow
from cases.ledger import balance
from cases.models import Action, ActionKind, ActionStatus, CallOutcome, Case
from cases.views import render_case
from cases.work import WorkError
from cases.work.calls import CallReport, phone_numbers, record_call, set_callback
from cases.work.disputes import decision_of, disputes_of, open_dispute, open_dispute_of, resolve_dispute
from cases.work.forms import (
    CallbackForm,
    CallForm,
    DisputeForm,
    PromiseForm,
    ResolveDisputeForm,
    local_to_utc,
)
from cases.work.promises import PromiseLine, promise_lines, record_promises
from cases.work.strategy import STEPS
from debtors.contacts import format_phone
from debtors.models import ContactKind, ContactPoint

bp = Blueprint("work", __name__, url_prefix="/cases")


@bp.route("/<int:case_id>/call", methods=["GET", "POST"])
@permission_required("actions.record")
def call(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = call_form(case)
    if not form.is_submitted():
        return render_template("cases/work/call.html", case=case, form=form, numbers=phone_numbers(case))
    if form.validate_on_submit():
        report = _call_report(case, form)
        if report is not None:
            try:
                action = record_call(case, report, actor=current_user)
            except WorkError as exc:
                db.session.rollback()
                _attach_error(form, exc)
            else:
                db.session.commit()
                if action.status != ActionStatus.BLOCKED:
                    _flash_call(case, action)
                    return redirect(url_for("cases.show", case_id=case.id))
                # Recorded as blocked: the case page again, with what was typed, to call later or change it.
                form.form_errors.append(_blocked_text(action))
                return render_case(case, call_form=form, status=409)
    # The case page again, the form as it was typed, each refusal under its field.
    return render_case(case, call_form=form, status=400)


@bp.route("/<int:case_id>/promise", methods=["GET", "POST"])
@permission_required("actions.record")
def promise(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = PromiseForm()
    if form.validate_on_submit() and (instalments := form.parsed_instalments()) is not None:
        try:
            promises = record_promises(case, instalments, actor=current_user, action=_call_of(case, form.action_id.data))
        except WorkError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Promise to pay recorded: %(n)d instalment(s).", n=len(promises)), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    page = render_template("cases/work/promise.html", case=case, form=form, balance=balance(case.id))
    return page, 400 if form.is_submitted() else 200


@bp.route("/<int:case_id>/callback", methods=["GET", "POST"])
@permission_required("actions.record")
def callback(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = CallbackForm()
    if form.validate_on_submit():
        when = local_to_utc(form.callback_at.data, case.debtor.timezone)
        try:
            set_callback(case, when, actor=current_user)
        except WorkError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Callback set for %(when)s.", when=format_datetime(when, "short")), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    page = render_template("cases/work/callback.html", case=case, form=form)
    return page, 400 if form.is_submitted() else 200


@bp.route("/<int:case_id>/dispute", methods=["GET", "POST"])
@permission_required("actions.record")
def dispute(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            open_dispute(case, actor=current_user, reason=form.reason.data)
        except WorkError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Dispute opened: collection on this case is suspended and the client is told."), "warning")
            return redirect(url_for("cases.show", case_id=case.id))
    page = render_template("cases/work/dispute.html", case=case, form=form, current=open_dispute_of(case))
    return page, 400 if form.is_submitted() else 200


@bp.post("/<int:case_id>/dispute/resolve")
@permission_required("disputes.resolve")
def resolve(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    hold = open_dispute_of(case)
    if hold is None:
        abort(404)
    form = ResolveDisputeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(map(str, errors)), "danger")
        return redirect(url_for("cases.show", case_id=case.id))
    try:
        resolve_dispute(hold, actor=current_user, decision=form.decision.data, resolution=form.resolution.data)
    except WorkError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Dispute resolved: the case is back in progress and the client is told."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def call_form(case: Case) -> CallForm:
    """Return the call form with the debtor's numbers to choose from and the time the page was shown."""
    form = CallForm()
    phones = [cp for cp in case.debtor.contact_points if cp.kind == ContactKind.PHONE]
    form.contact_point_id.choices = [SelectChoice(0, _("Number not listed"))] + [
        SelectChoice(cp.id, format_phone(cp.value) + (f" ({cp.label})" if cp.label else "")) for cp in phones
    ]
    if open_dispute_of(case) is not None:  # only calls about the dispute: no promise, no second dispute
        form.outcome.choices = [c for c in form.outcome.choices
                                if c.value not in (CallOutcome.PROMISE, CallOutcome.DISPUTE)]
    if not form.is_submitted():
        form.dialled_at.data = utcnow().isoformat(timespec="seconds")
        if phones:
            form.contact_point_id.data = phones[0].id
    return form


def _call_report(case: Case, form: CallForm) -> CallReport | None:
    outcome = CallOutcome(form.outcome.data)
    instalments = form.parsed_instalments() if outcome == CallOutcome.PROMISE else []
    if instalments is None:
        return None
    point = db.session.get(ContactPoint, form.contact_point_id.data) if form.contact_point_id.data else None
    return CallReport(
        outcome=outcome,
        contact_point=point if point is not None and point.debtor_id == case.debtor_id else None,
        note=form.note.data or "",
        dialled_at=form.dialled_time(),
        instalments=instalments,
        dispute_reason=form.dispute_reason.data or "",
        callback_at=local_to_utc(form.callback_at.data, case.debtor.timezone),
        incoming=bool(form.incoming.data),
    )


def _call_of(case: Case, action_id: int | None) -> Action | None:
    if not action_id:
        return None
    action = db.session.get(Action, action_id)
    return action if action is not None and action.case_id == case.id and action.kind == ActionKind.CALL else None


def _blocked_text(action: Action) -> str:
    return _("The contact rules refuse this call: %(detail)s It is recorded as blocked; what you typed is kept "
             "below.", detail=action.note)


def _flash_call(case: Case, action: Action) -> None:
    if action.outcome == CallOutcome.PROMISE:
        flash(_("Call recorded with the promise to pay."), "success")
    elif action.outcome == CallOutcome.DISPUTE:
        flash(_("Call recorded; dispute opened: collection on this case is suspended and the client is told."),
              "warning")
    elif action.outcome == CallOutcome.CALLBACK:
        flash(_("Call recorded; callback set for %(when)s.", when=format_datetime(case.callback_at, "short")),
              "success")
    else:
        flash(_("Call recorded."), "success")


def _attach_error(form: Form, exc: WorkError) -> None:
    """Show an operation's refusal under the field it names, else at the top of the form."""
    parts = exc.field.split("-")
    target = getattr(form, parts[0], None) if parts[0] else None
    if target is not None and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(target.entries):
        target = getattr(target.entries[int(parts[1])].form, parts[2], None)
    if target is not None and hasattr(target, "errors") and len(parts) in (1, 3):
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


@dataclass(frozen=True)
class WorkPanel:
    """What the collector's panel of a case shows."""

    numbers: list
    form: CallForm
    disputed: bool
    planned: list[Action]
    local_time: datetime | None
    timezone: str
    callback_late: bool  # the time the debtor asked to be called back has passed


@bp.app_context_processor
def work_helpers() -> dict:
    return {"work_panel": work_panel, "case_disputes": case_disputes, "case_promises": case_promises,
            "resolve_form": ResolveDisputeForm, "strategy_steps": STEPS}


def work_panel(case: Case, form: CallForm | None = None) -> WorkPanel | None:
    """Gather the collector's panel: the numbers allowed now, the call form (`form` if one was posted)."""
    if not can("actions.record"):
        return None
    planned = db.session.scalars(
        sa.select(Action).where(Action.case_id == case.id, Action.status == ActionStatus.SCHEDULED.value)
        .order_by(Action.scheduled_at, Action.id)
    ).all()
    tz = case.debtor.timezone
    now = utcnow()
    return WorkPanel(
        numbers=phone_numbers(case),
        form=form if isinstance(form, CallForm) else call_form(case),
        disputed=open_dispute_of(case) is not None,
        planned=list(planned),
        local_time=now.astimezone(ZoneInfo(tz)) if tz != "Europe/Paris" else None,
        timezone=tz,
        callback_late=case.callback_at is not None and case.callback_at < now,
    )


def case_disputes(case: Case) -> list[tuple]:
    """Return the case's disputes with their decision, for everyone who sees the case."""
    return [(hold, decision_of(hold) if hold.ended_at else "") for hold in disputes_of(case)]


def case_promises(case: Case) -> list[PromiseLine]:
    """Return the case's promises with what was paid toward each; cancelled ones only when a plan replaced them."""
    return promise_lines(case)
