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
from flask_babel import gettext as _

from agency.clock import today
from agency.db import db
from cases import ledger
from cases.judicial.documents import megabytes
from cases.models import Case
from cases.work import WorkError
from cases.work.disputes import open_dispute_of
from debtor_space import contact, explain, proposals
from debtor_space.answer_forms import (
    CallbackForm,
    DisputeForm,
    HardshipForm,
    NewAddressForm,
    NewEmailForm,
    NewPhoneForm,
    PaymentMadeForm,
    PlanProposalForm,
    StopForm,
)
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


SENT = ("dispute", "paid", "callback", "hardship")


def _explain_forms(case: Case) -> dict:
    forms = {"dispute": DisputeForm(prefix="dispute"), "paid": PaymentMadeForm(prefix="paid"),
             "callback": CallbackForm(prefix="callback"), "hardship": HardshipForm(prefix="hardship")}
    with force_locale(_language(case)):
        forms["dispute"].claim.choices = [("", _("The whole file"))] + [
            (str(c.id), _("Invoice %(number)s", number=c.invoice_number)) for c in case.claims]
        forms["dispute"].reason.choices = [("", "—"), *explain.DISPUTE_REASONS.items()]
        forms["paid"].method.choices = [("", "—"), *explain.PAYMENT_METHODS.items()]
        forms["hardship"].kind.choices = [("", "—"), *explain.HARDSHIPS.items()]
    return forms


def _upload(field) -> explain.Upload | None:
    data = field.data
    return explain.Upload(data.stream, data.filename or "") if data and getattr(data, "filename", "") else None


def _explained(case: Case, which: str, form) -> None:
    """Call the operation of the form sent; raise WorkError naming the field at fault."""
    if which == "dispute":
        claim = next((c for c in case.claims if str(c.id) == form.claim.data), None) if form.claim.data else None
        if form.claim.data and claim is None:
            raise WorkError(_("Choose one of this file's invoices."), "claim")
        explain.dispute(case, reason=form.reason.data, text=form.text.data, claim=claim, upload=_upload(form.document))
    elif which == "paid":
        explain.declare_payment(case, amount_cents=form.amount.cents, paid_on=form.paid_on.data,
                                method=form.method.data, upload=_upload(form.proof))
    elif which == "callback":
        explain.ask_callback(case, local_time=form.when.data, note=form.note.data or "")
    else:
        explain.state_hardship(case, kind=form.kind.data, text=form.text.data or "")


@bp.route("/espace/dossier/<int:case_id>/contester", methods=["GET", "POST"])
@visit_required
def explain_page(case: Case):
    """Dispute the file or an invoice, declare a payment made, ask a callback, tell a hardship."""
    forms = _explain_forms(case)
    which = next((k for k in SENT if f"{k}-submit" in request.form), None) if request.method == "POST" else None
    if request.method == "POST" and which is None:
        return _render("debtor_space/explain.html", case, 400, forms=forms, sent=None, disputed=_disputed(case),
                       max_mb=megabytes(explain.max_bytes()))
    if which is not None and forms[which].validate_on_submit():
        with force_locale(_language(case)):
            try:
                _explained(case, which, forms[which])
            except WorkError as exc:
                db.session.rollback()
                _attach(forms[which], {"callback_at": "when"}.get(exc.field, exc.field), str(exc))
            else:
                db.session.commit()
                return redirect(url_for(".explain_page", case_id=case.id, envoye=which))
    status = 400 if which is not None else 200
    sent = request.args.get("envoye") if request.args.get("envoye") in SENT else None
    return _render("debtor_space/explain.html", case, status, forms=forms, sent=sent, open_form=which,
                   disputed=_disputed(case), max_mb=megabytes(explain.max_bytes()))


def _disputed(case: Case) -> bool:
    return open_dispute_of(case) is not None


CONTACT_FORMS = {"stop": StopForm, "phone": NewPhoneForm, "email": NewEmailForm, "address": NewAddressForm}


def _contact_changed(case: Case, which: str, form) -> None:
    if which == "stop":
        contact.stop(case, "sms" if form.sms.data else "email")
    elif which == "phone":
        contact.give_phone(case, form.phone.data)
    elif which == "email":
        contact.give_email(case, form.email.data)
    else:
        contact.give_address(case, line1=form.line1.data, line2=form.line2.data or "", postcode=form.postcode.data,
                             city=form.city.data)


@bp.route("/espace/dossier/<int:case_id>/contact", methods=["GET", "POST"])
@visit_required
def contact_page(case: Case):
    """Stop SMS or e-mails; give a new phone, e-mail or address (kept beside the old ones)."""
    forms = {key: cls(prefix=key) for key, cls in CONTACT_FORMS.items()}
    posted = request.form if request.method == "POST" else {}
    which = next((k for k in CONTACT_FORMS if any(n.startswith(f"{k}-") and n != f"{k}-csrf_token" for n in posted)),
                 None)
    if request.method == "POST" and which is None:
        which = "none"
    elif which is not None and forms[which].validate_on_submit():
        with force_locale(_language(case)):
            try:
                _contact_changed(case, which, forms[which])
            except WorkError as exc:
                db.session.rollback()
                _attach(forms[which], exc.field, str(exc))
            else:
                db.session.commit()
                return redirect(url_for(".contact_page", case_id=case.id, envoye=which))
    sent = request.args.get("envoye") if request.args.get("envoye") in CONTACT_FORMS else None
    points = contact_points_shown(case)
    return _render("debtor_space/contact.html", case, 400 if which else 200, forms=forms, sent=sent, points=points)


def contact_points_shown(case: Case) -> dict[str, list]:
    """The debtor's own numbers and addresses, as they may see them (their own data), by kind."""
    shown: dict[str, list] = {"phone": [], "email": [], "address": []}
    for point in sorted(case.debtor.contact_points, key=lambda p: p.id):
        shown.setdefault(point.kind, []).append(point)
    return shown
