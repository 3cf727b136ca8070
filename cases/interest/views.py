"""Pages of rates: the rate tables (administrators) and the interest card of a case (post on demand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from cases.interest import labels
from cases.interest.forms import ConfirmRateForm, CorrectRateForm, PostInterestForm, RateForm
from cases.interest.posting import post_interest
from cases.interest.rules import ClaimInterest, explain
from cases.interest.tables import (
    RateError,
    add_rate,
    confirm_rate,
    correct_rate,
    half_years,
    missing_half_years,
)
from cases.models import Case, RatePeriod

bp = Blueprint("rates", __name__)


@dataclass(frozen=True)
class InterestPanel:
    claims: list[ClaimInterest]
    through: date
    form: PostInterestForm | None

    @property
    def total_cents(self) -> int:
        return sum(c.total_cents for c in self.claims)

    @property
    def to_post_cents(self) -> int:
        return sum(c.to_post_cents for c in self.claims)


def interest_panel(case: Case) -> InterestPanel:
    """Return what the case's interest card shows: each claim's accrual up to today."""
    through = today()
    form = PostInterestForm() if can("interest.post") and case.is_open else None
    return InterestPanel(explain(case, through), through, form)


@bp.app_context_processor
def interest_helpers() -> dict:
    return {"interest_panel": interest_panel, "rate_labels": {"kind": labels.KIND, "no_interest": labels.NO_INTEREST}}


@bp.app_template_filter("rate_bp")
def format_rate(rate_bp: int) -> str:
    """Write a rate in basis points as a percentage of the current locale: 1215 → "12,15 %"."""
    return format_percent(Decimal(rate_bp) / 10000, format="#,##0.00 %")


@bp.post("/cases/<int:case_id>/interest")
@permission_required("interest.post")
def post_case_interest(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    if not PostInterestForm().validate_on_submit() or not case.is_open:
        flash(_("Interest cannot be posted on this case."), "danger")
        return _back_to(case)
    result = post_interest(today(), [case.id], actor=current_user)
    db.session.commit()
    if result.entries:
        flash(ngettext("Interest posted up to today: %(num)d ledger entry.",
                       "Interest posted up to today: %(num)d ledger entries.", result.entries), "success")
    else:
        flash(_("Interest was already up to date: nothing posted."), "info")
    return _back_to(case)


def _back_to(case: Case):
    return redirect(url_for("cases.show", case_id=case.id, _anchor="interest"))


@bp.route("/admin/rates", methods=["GET", "POST"])
@permission_required("rates.manage")
def index():
    form = RateForm()
    if form.validate_on_submit():
        try:
            period = add_rate(form.kind.data, form.starts_on.data, form.rate_bp, source=form.source.data or "",
                              actor=current_user)
        except RateError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Rate added for the half-year starting %(date)s.", date=period.starts_on.strftime("%d/%m/%Y")),
                  "success")
            return redirect(url_for("rates.index"))
    editing = db.session.get(RatePeriod, request.args.get("edit", type=int) or 0)
    correct_form = None
    if editing is not None:
        correct_form = CorrectRateForm(data={"rate": Decimal(editing.rate_bp) / 100, "source": editing.source})
    return _page(form, editing, correct_form), 400 if form.is_submitted() else 200


@bp.post("/admin/rates/<int:rate_id>")
@permission_required("rates.manage")
def correct(rate_id: int):
    period = db.get_or_404(RatePeriod, rate_id)
    form = CorrectRateForm()
    if form.validate_on_submit():
        try:
            correct_rate(period, form.rate_bp, source=form.source.data or "", actor=current_user)
        except RateError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Rate corrected: the next posting adds or takes back the difference in interest."), "success")
            return redirect(url_for("rates.index"))
    return _page(RateForm(formdata=None), period, form), 400


def _page(form: RateForm, editing: RatePeriod | None, correct_form: CorrectRateForm | None) -> str:
    return render_template("cases/interest/index.html", form=form, rows=half_years(), missing=missing_half_years(today()),
                           confirm_form=ConfirmRateForm(), editing=editing, correct_form=correct_form)


@bp.post("/admin/rates/<int:rate_id>/confirm")
@permission_required("rates.manage")
def confirm(rate_id: int):
    period = db.get_or_404(RatePeriod, rate_id)
    if not ConfirmRateForm().validate_on_submit():
        flash(_("The form expired: try again."), "danger")
        return redirect(url_for("rates.index"))
    try:
        confirm_rate(period, actor=current_user)
    except RateError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("Rate confirmed."), "success")
    return redirect(url_for("rates.index"))


def _attach(form, exc: RateError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")
