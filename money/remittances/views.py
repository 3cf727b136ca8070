"""Pages of remittances: statements (managers, and each client in its portal), their documents, the trust account."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required, scoped
from agency.clock import today
from agency.db import db
from agency.jobs import enqueue
from agency.models import Client
from cases.letters.storage import DocumentError, pdf_response
from money.models import Remittance
from money.remittances.documents import card_fees_cents, case_lines, recall_fees, statement_csv, statement_pdf
from money.remittances.forms import MarkPaidForm, RunForm
from money.remittances.jobs import store_statement_pdf_job
from money.remittances.statements import RemittanceError, mark_paid, run_remittances
from money.remittances.trust import aged_funds, trust_position

bp = Blueprint("remittances", __name__)


def _run_form() -> RunForm:
    form = RunForm()
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    form.client_id.choices = [("", _("Every client"))] + [(str(cid), name) for cid, name in clients]
    return form


@bp.get("/remittances")
@permission_required("remittances.view")
def index():
    statements = db.session.scalars(
        scoped(Remittance).order_by(Remittance.period_end.desc(), Remittance.id.desc()).limit(200)
    ).all()
    form = _run_form() if can("remittances.manage") else None
    return render_template("money/remittances/index.html", statements=statements, form=form)


@bp.post("/remittances/run")
@permission_required("remittances.manage")
def run():
    form = _run_form()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for error in errors:
                flash(f"{getattr(form, name).label.text}: {error}", "danger")
        return redirect(url_for("remittances.index"))
    period_end = form.period_end.data
    if period_end >= today():
        flash(_("%(field)s: the period must be over (end before today).", field=form.period_end.label.text), "danger")
        return redirect(url_for("remittances.index"))
    client_ids = [form.client_id.data] if form.client_id.data else None
    statements = run_remittances(period_end, client_ids, actor=current_user)
    for remittance in statements:
        _store_pdf(remittance)
    db.session.commit()  # the statements and the jobs rendering their documents, together
    if statements:
        flash(_("%(count)d statement(s) issued for the period ending %(date)s.", count=len(statements),
                date=format_date(period_end, "short")), "success")
    else:
        flash(_("Nothing to remit up to %(date)s: no statement issued.", date=format_date(period_end, "short")), "info")
    return redirect(url_for("remittances.index"))


def _store_pdf(remittance: Remittance) -> None:
    enqueue(store_statement_pdf_job, remittance.id, job_id=f"remittance-{remittance.id}-pdf")


@bp.get("/remittances/<int:remittance_id>")
@permission_required("remittances.view")
def show(remittance_id: int):
    remittance = get_scoped_or_404(Remittance, remittance_id)
    form = MarkPaidForm(formdata=None, paid_on=today()) if can("remittances.manage") else None
    return render_template("money/remittances/show.html", remittance=remittance, lines=case_lines(remittance),
                           recall_fees=recall_fees(remittance), card_fees=card_fees_cents(remittance), form=form)


@bp.post("/remittances/<int:remittance_id>/paid")
@permission_required("remittances.manage")
def paid(remittance_id: int):
    remittance = get_scoped_or_404(Remittance, remittance_id)
    form = MarkPaidForm()
    if form.validate_on_submit():
        try:
            mark_paid(remittance, paid_on=form.paid_on.data, reference=form.reference.data, actor=current_user)
        except RemittanceError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Statement %(reference)s marked paid.", reference=remittance.reference), "success")
            return redirect(url_for("remittances.show", remittance_id=remittance.id))
    return render_template("money/remittances/show.html", remittance=remittance, lines=case_lines(remittance),
                           recall_fees=recall_fees(remittance), card_fees=card_fees_cents(remittance), form=form), 400


@bp.get("/remittances/<int:remittance_id>.pdf")
@permission_required("remittances.view")
def pdf(remittance_id: int):
    remittance = get_scoped_or_404(Remittance, remittance_id)
    try:
        data = statement_pdf(remittance, actor=current_user)
    except DocumentError as exc:
        current_app.logger.error("statement %s not served: %s", remittance.reference, exc)
        flash(_("The stored file of statement %(reference)s is missing or does not match its recorded "
                "fingerprint: it was not served. Tell your administrator.", reference=remittance.reference), "danger")
        return redirect(url_for("remittances.show", remittance_id=remittance.id))
    db.session.commit()  # the first download stores the file
    return pdf_response(data, remittance.reference, remittance.pdf_sha256)


@bp.get("/remittances/<int:remittance_id>.csv")
@permission_required("remittances.view")
def csv(remittance_id: int):
    remittance = get_scoped_or_404(Remittance, remittance_id)
    response = Response(statement_csv(remittance), mimetype="text/csv")  # Werkzeug adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{remittance.reference}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/trust")
@permission_required("trust.view")
def trust():
    client_id = request.args.get("client", type=int)
    return render_template("money/remittances/trust.html", position=trust_position(),
                           aged=aged_funds(today(), client_id), today=today())
