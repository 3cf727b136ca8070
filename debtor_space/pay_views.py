"""Paying by card from the space: the choice of what to pay, the provider's page, the page the debtor comes back to.

- `/espace/dossier/<id>/payer`: what may be paid now (`money.online.payment_choices`: the next instalment of
  the plan, the balance, an amount of the debtor's own); the form opens a checkout (`start_checkout`), commits
  and sends the browser to the provider's hosted page. That page's origin is added to this page's
  `form-action`, the one source the space's CSP allows beyond itself, since the form's redirect goes there.
- `/espace/dossier/<id>/payer/retour?session_id=…`: where the provider sends the debtor back. It reads
  `checkout_status` and never records money: until the provider's signed webhook arrives it says the payment
  is being confirmed, and the case page shows the payment once it is recorded.
Both hang on the space's blueprint (its visit check, headers and error pages).
"""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from agency.db import db
from agency.money import format_money
from cases.messaging.links import public_url
from cases.models import Case
from debtor_space.forms import PayOnlineForm
from debtor_space.views import _language, _message, _render, bp, visit_required
from money.models import CheckoutPurpose
from money.online import (
    OnlinePaymentError,
    checkout_status,
    payment_choices,
    start_checkout,
    transfer_details,
)
from money.online.provider import get_provider

DEBTOR = "debtor"  # the actor label of what a debtor does in their space


def _money(cents: int, case: Case) -> str:
    return format_money(cents, case.currency, locale=_language(case))


def _choices(case: Case, choices) -> list[SelectChoice]:
    options = []
    if choices.instalment is not None:
        options.append(SelectChoice(CheckoutPurpose.INSTALMENT.value, _(
            "The next instalment of your plan: %(amount)s, due on %(date)s",
            amount=_money(choices.instalment.amount_cents, case), date=format_date(choices.instalment.due_on, "long"))))
    options.append(SelectChoice(CheckoutPurpose.FULL.value, _("Everything left to pay: %(amount)s",
                                                              amount=_money(choices.full_cents, case))))
    if choices.minimum_cents < choices.full_cents:
        options.append(SelectChoice(CheckoutPurpose.OWN.value, _("Another amount, from %(minimum)s",
                                                                 minimum=_money(choices.minimum_cents, case))))
    return options


@bp.route("/espace/dossier/<int:case_id>/payer", methods=["GET", "POST"])
@visit_required
def pay(case: Case):
    """Choose what to pay by card, then go to the provider's page."""
    with force_locale(_language(case)):
        choices = payment_choices(case)
        form = PayOnlineForm()
        form.purpose.choices = _choices(case, choices) if choices.payable else []
        if not form.is_submitted():
            wanted = request.args.get("purpose", "")
            values = [c.value for c in form.purpose.choices]
            form.purpose.data = wanted if wanted in values else (values[0] if values else None)
        elif choices.payable and form.validate_on_submit():
            try:
                start = start_checkout(
                    case, form.amount.cents, purpose=form.purpose.data,
                    success_url=public_url("debtor_space.pay_return", case_id=case.id) + "?session_id={CHECKOUT_SESSION_ID}",
                    cancel_url=public_url("debtor_space.pay", case_id=case.id), actor_label=DEBTOR,
                    locale=_language(case),
                )
            except OnlinePaymentError as exc:
                db.session.rollback()
                target = form.amount if exc.field == "amount" else None
                if target is not None:
                    target.errors = [*target.errors, str(exc)]
                else:
                    form.form_errors.append(str(exc))
            else:
                db.session.commit()
                return redirect(start.url, 303)
    g.space_form_action = get_provider().page_origin
    status = 400 if form.is_submitted() else 200
    return _render("debtor_space/pay.html", case, status, form=form, choices=choices,
                   transfer=transfer_details(case))


@bp.get("/espace/dossier/<int:case_id>/payer/retour")
@visit_required
def pay_return(case: Case):
    """Where the provider sends the debtor back: what became of the payment, from our records only."""
    state = checkout_status(request.args.get("session_id", "")[:255], case=case)
    if state is None:
        return _message("not_found", case, 404)
    return _render("debtor_space/pay_return.html", case, state=state,
                   again_url=url_for("debtor_space.pay", case_id=case.id, purpose=state.purpose))
