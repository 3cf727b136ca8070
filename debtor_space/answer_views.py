"""Pages where a debtor answers from their space: propose a plan, dispute or explain, choose how to be contacted.

They hang on the space's blueprint (`debtor_space.views.bp`), so they share its visit check, its headers, its
strict CSP and its error pages; each loads the case through `visit_required`, calls one operation of
`debtor_space.proposals`, `.disputes` or `.contact` (which go through the staff's operations), commits once
and redirects, so that reloading the page sends nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, redirect, request, url_for
from flask_babel import force_locale

from agency.clock import today
from agency.db import db
from cases import ledger
from cases.models import Case
from debtor_space import proposals
from debtor_space.answer_forms import PlanProposalForm
from debtor_space.views import _language, _render, bp, visit_required
from money.online.transfer import transfer_details
from money.plans.plans import NO_PLAN_STATUSES, PlanError, limits_of, running_plan

# Where a PlanError's field lands in the debtor's form.
PLAN_FIELDS = {"count": "count", "instalments-0-due_on": "first_due", "instalments-0-amount": "first_amount",
               "total": "offer"}


def _attach(form, field: str, message: str) -> None:
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)


def _pay_online_url(case: Case) -> str | None:
    # The card payment page (money.online's seam, `debtor_space.pay`) once it is served; the transfer otherwise.
    if "debtor_space.pay" in current_app.view_functions:
        return url_for("debtor_space.pay", case_id=case.id, purpose="instalment")
    return None


@bp.route("/espace/dossier/<int:case_id>/echeancier", methods=["GET", "POST"])
@visit_required
def propose_plan(case: Case):
    """Propose a plan or a settlement; within the mandate's limits it runs at once."""
    plan = running_plan(case)
    form = PlanProposalForm()
    if request.method == "POST" and plan is not None:
        return redirect(url_for(".propose_plan", case_id=case.id))  # already proposed: nothing twice
    outstanding = ledger.balance(case.id).outstanding
    if not form.is_submitted():
        form.first_due.data = today() + timedelta(days=7)
    elif form.validate_on_submit():
        total = form.offer.cents if form.kind.data == "settlement" else outstanding
        proposal = proposals.Proposal(total, form.count.data, form.first_due.data, form.first_amount.cents)
        with force_locale(_language(case)):  # the operation's refusals are read by the debtor
            try:
                proposals.propose(case, proposal)
            except PlanError as exc:
                db.session.rollback()
                _attach(form, PLAN_FIELDS.get(exc.field, ""), str(exc))
            else:
                db.session.commit()
                return redirect(url_for(".propose_plan", case_id=case.id))
    status = 400 if form.is_submitted() else 200
    may_propose = outstanding > 0 and case.status not in NO_PLAN_STATUSES and not case.debtor.active_holds
    return _render("debtor_space/plan.html", case, status, form=form, plan=plan, outstanding=outstanding,
                   may_propose=may_propose,
                   limits=limits_of(case, today()), answer=proposals.latest_answer(case),
                   first=proposals.first_unpaid(plan) if plan else None, transfer=transfer_details(case),
                   pay_online_url=_pay_online_url(case))
