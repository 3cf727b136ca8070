"""The administrator's pages of a debtor's personal data: export, erasure, and the retention setting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import permission_required
from agency.clock import today
from agency.db import db
from debtors.models import Debtor
from money.personal_data.anonymise import ErasureRefused, erase, keep_reasons
from money.personal_data.export import export_archive
from money.personal_data.forms import ErasureForm, ExportForm, RetentionForm
from money.personal_data.scope import debtor_data
from money.personal_data.settings import SettingsError, get_settings, update_settings

bp = Blueprint("personal_data", __name__)


# Debtors are shared by all clients and only admins reach these pages, so no tenant scope applies.
def _debtor_or_404(debtor_id: int) -> Debtor:
    return db.session.get(Debtor, debtor_id) or abort(404)


def _render(debtor: Debtor, erasure_form: ErasureForm | None = None, status: int = 200):
    data = debtor_data(debtor)
    page = render_template(
        "money/personal_data/show.html", debtor=debtor, counts={t: len(r) for t, r in data.rows.items()},
        reasons=keep_reasons(debtor, today()), export_form=ExportForm(),
        erasure_form=erasure_form or ErasureForm(formdata=None), retention=get_settings().retention_years,
    )
    return page, status


@bp.get("/debtors/<int:debtor_id>/personal-data")
@permission_required("personal_data.manage")
def show(debtor_id: int):
    return _render(_debtor_or_404(debtor_id))


@bp.post("/debtors/<int:debtor_id>/personal-data/export")
@permission_required("personal_data.manage")
def export(debtor_id: int):
    debtor = _debtor_or_404(debtor_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    content, name = export_archive(debtor, current_user)
    db.session.commit()  # the export's audit event, before the archive leaves
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


@bp.post("/debtors/<int:debtor_id>/personal-data/erase")
@permission_required("personal_data.manage")
def erase_view(debtor_id: int):
    debtor = _debtor_or_404(debtor_id)
    form = ErasureForm()
    if not form.validate_on_submit():
        return _render(debtor, form, 400)
    try:
        erase(debtor, current_user, form.reason.data.strip(), today())
    except ErasureRefused as exc:
        db.session.rollback()
        form.reason.errors.append(_("The data must be kept: %(reasons)s", reasons=" ".join(exc.reasons)))
        return _render(debtor, form, 409)
    db.session.commit()
    flash(_("The debtor's personal data was erased. Amounts and the history of changes are kept."), "success")
    return redirect(url_for("personal_data.show", debtor_id=debtor.id))


@bp.route("/admin/personal-data", methods=["GET", "POST"])
@permission_required("personal_data.manage")
def settings_page():
    form = RetentionForm(obj=get_settings())
    if form.validate_on_submit():
        try:
            update_settings(retention_years=form.retention_years.data, actor=current_user)
        except SettingsError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Retention saved. The nightly run applies it from tonight."), "success")
            return redirect(url_for("personal_data.settings_page"))
    anonymised = db.session.scalar(sa.select(sa.func.count()).where(Debtor.anonymised_at.is_not(None)))
    return render_template("money/personal_data/settings.html", form=form, anonymised=anonymised), \
        400 if form.is_submitted() else 200
