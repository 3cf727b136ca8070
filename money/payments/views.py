"""Pages of payments: the case's payment panel, recording and declaring, reversals, receipts, the payments feed."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.models import Client
from cases import ledger
from cases.letters.storage import DocumentError, pdf_response, read_document
from cases.models import Case, CaseStatus
from money.models import Payment, PaymentChannel
from money.payments import labels
from money.payments.feed import PaymentFilters, ledger_origins, payments_page, payments_panel
from money.payments.forms import DeclarePaymentForm, RecordPaymentForm, ReverseForm
from money.payments.jobs import issue_receipt_later
from money.payments.payments import DuplicatePaymentError, PaymentError, record_payment, reverse_payment

bp = Blueprint("payments", __name__)


@bp.app_context_processor
def payment_helpers() -> dict:
    return {
        "payments_panel": payments_panel,
        "ledger_origins": ledger_origins,
        "case_balance": lambda case: ledger.balance(case.id),
        "payment_labels": {"method": labels.METHOD, "channel": labels.CHANNEL, "applies_to": labels.APPLIES_TO},
    }


@bp.route("/cases/<int:case_id>/payments/new", methods=["GET", "POST"])
@permission_required("payments.record")
def record(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = RecordPaymentForm().for_case(case)
    if not form.is_submitted():
        form.received_on.data = today()
    return _payment_form(case, form, channel=None, template="money/payments/record.html")


@bp.route("/cases/<int:case_id>/payments/declare", methods=["GET", "POST"])
@permission_required("payments.declare")
def declare(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    form = DeclarePaymentForm().for_case(case)
    if not form.is_submitted():
        form.received_on.data = today()
    return _payment_form(case, form, channel=PaymentChannel.DIRECT.value, template="money/payments/declare.html")


def _payment_form(case: Case, form, *, channel: str | None, template: str):
    if form.validate_on_submit():
        try:
            payment = record_payment(
                case,
                amount_cents=form.amount_cents,
                received_on=form.received_on.data,
                method=form.method.data,
                channel=channel or form.channel.data,
                idempotency_key=form.idempotency_key.data,
                payer_reference=form.payer_reference.data or "",
                debtor_choice=form.debtor_choice.data or [],
                note=form.note.data or "",
                actor=current_user,
                confirm_duplicate=bool(form.confirm_duplicate.data),
            )
        except DuplicatePaymentError as exc:
            db.session.rollback()
            # Nothing recorded: the page names the earlier payment and asks to confirm (same form, same key).
            return render_template(template, case=case, form=form, duplicate=exc.earlier), 409
        except PaymentError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            issue_receipt_later(payment.id)
            db.session.commit()  # the payment and the job issuing its receipt, together
            flash(_recorded_message(payment), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="payments"))
    page = render_template(template, case=case, form=form, duplicate=None)
    return page, 400 if form.is_submitted() else 200


def _attach_error(form, exc: PaymentError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _recorded_message(payment: Payment) -> str:
    if payment.credit_cents:
        return _("Payment %(reference)s recorded; it exceeds the balance: the excess is held to be refunded.",
                 reference=payment.reference)
    if payment.case.status == CaseStatus.PAID:
        return _("Payment %(reference)s recorded; the case is fully paid and closed.", reference=payment.reference)
    return _("Payment %(reference)s recorded; its receipt is being issued.", reference=payment.reference)


@bp.post("/payments/<int:payment_id>/reverse")
@permission_required("payments.reverse")
def reverse(payment_id: int):
    payment = get_scoped_or_404(Payment, payment_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        for field in (form.reason, form.on):
            for error in field.errors:
                flash(f"{field.label.text} : {error}", "danger")
        for error in form.form_errors or ([] if form.errors else [_("This form has expired: reload the page.")]):
            flash(error, "danger")
        return _back_to(payment.case)
    try:
        reverse_payment(payment, reason=form.reason.data, on=form.on.data, actor=current_user)
    except PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Payment %(reference)s reversed.", reference=payment.reference), "success")
    return _back_to(payment.case)


def _back_to(case: Case):
    return redirect(url_for("cases.show", case_id=case.id, _anchor="payments"))


@bp.get("/payments/<int:payment_id>/receipt.pdf")
@permission_required("payments.view")
def receipt(payment_id: int):
    payment = get_scoped_or_404(Payment, payment_id)
    if not payment.receipt_path:
        abort(404)  # still being issued
    try:
        data = read_document(payment.receipt_path, payment.receipt_sha256)
    except DocumentError as exc:
        current_app.logger.error("receipt %s not served: %s", payment.reference, exc)
        flash(_("The stored receipt %(reference)s is missing or does not match its recorded fingerprint: it was "
                "not served. Tell your administrator.", reference=payment.reference), "danger")
        return _back_to(payment.case)
    return pdf_response(data, payment.reference, payment.receipt_sha256)


@bp.get("/payments")
@permission_required("payments.view")
def index():
    args = request.args
    staff = current_user.is_staff
    filters = PaymentFilters(
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        client_id=args.get("client", type=int) if staff else None,
        channel=args.get("channel", "") if args.get("channel") in {c.value for c in PaymentChannel} else "",
        credits_only=args.get("credits") == "1",
    )
    page = payments_page(current_user, filters, page=args.get("page", 1, type=int))
    clients = db.session.scalars(sa.select(Client).order_by(Client.name)).all() if staff else []
    return render_template(
        "money/payments/index.html", page=page, filters=filters, clients=clients, channels=list(PaymentChannel),
        can_reverse=can("payments.reverse"),
    )


def _date_arg(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        flash(_("Filter dates: %(value)s is not a date.", value=value[:20]), "warning")
        return None
