"""Pages that change clients, their mandates and the agency profile (managers; the profile: admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import permission_required
from agency.client_forms import MAX_BANDS, ClientForm, EndMandateForm, MandateForm, ProfileForm
from agency.clients import ClientError, add_mandate, end_mandate, save_client, save_profile
from agency.db import db
from agency.models import AgencyProfile, Client, Mandate

bp = Blueprint("clients", __name__)


@bp.route("/clients/new", methods=["GET", "POST"])
@permission_required("clients.manage")
def new():
    return _client_page(None)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@permission_required("clients.manage")
def edit(client_id: int):
    # Clients are the agency's own records: staff with this permission see them all, no tenant scope.
    return _client_page(db.session.get(Client, client_id) or abort(404))


def _save(form, operation: Callable[[], Any]) -> Any:
    """Validate `form`, run `operation` and commit; return its result, or None with the errors on the form."""
    if not form.validate_on_submit():
        return None
    try:
        result = operation()
    except ClientError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return None
    db.session.commit()
    return result


def _client_page(client: Client | None):
    form = ClientForm(obj=client)
    saved = _save(form, lambda: save_client(client, form.values(), actor=current_user))
    if saved is not None:
        flash(_("Client %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("agency.clients") + f"#client-{saved.id}")
    status = 400 if form.errors else 200
    return render_template("agency/client_form.html", form=form, client=client), status


@bp.route("/clients/<int:client_id>/mandates/new", methods=["GET", "POST"])
@permission_required("clients.manage")
def new_mandate(client_id: int):
    client = db.session.get(Client, client_id) or abort(404)
    form = MandateForm()
    if _change_band_rows(form):
        return render_template("agency/mandate_form.html", form=form, client=client)
    if _save(form, lambda: add_mandate(client, form.values(), actor=current_user)) is not None:
        flash(_("Mandate recorded for %(name)s.", name=client.name), "success")
        return redirect(url_for("agency.clients") + f"#client-{client.id}")
    status = 400 if form.errors else 200
    return render_template("agency/mandate_form.html", form=form, client=client), status


def _change_band_rows(form: MandateForm) -> bool:
    """Add or remove a row of the commission grid when the form was posted for that; nothing is saved then."""
    if request.method != "POST":
        return False
    if "add_band" in request.form:
        if len(form.commission_bands.entries) < MAX_BANDS:
            form.commission_bands.append_entry()
        return True
    remove = request.form.get("remove_band", type=int)
    if remove is None:
        return False
    kept = [row.form.data for i, row in enumerate(form.commission_bands.entries) if i != remove]
    while form.commission_bands.entries:
        form.commission_bands.pop_entry()
    for data in kept or [{}]:
        form.commission_bands.append_entry(data)
    return True


@bp.route("/admin/agency/edit", methods=["GET", "POST"])
@permission_required("agency.profile")
def edit_profile():
    form = ProfileForm(obj=db.session.get(AgencyProfile, 1))
    if form.validate_on_submit():
        save_profile(form.values(), actor=current_user)
        db.session.commit()
        flash(_("Agency profile saved."), "success")
        return redirect(url_for("agency.profile"))
    return render_template("agency/profile_form.html", form=form), 400 if form.errors else 200


@bp.post("/clients/<int:client_id>/mandates/<int:mandate_id>/end")
@permission_required("clients.manage")
def end_mandate_view(client_id: int, mandate_id: int):
    mandate = db.session.get(Mandate, mandate_id)
    if mandate is None or mandate.client_id != client_id:
        abort(404)
    form = EndMandateForm()
    if form.validate_on_submit():
        try:
            end_mandate(mandate, form.ends_on.data, actor=current_user)
        except ClientError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Mandate %(reference)s ends on %(date)s.", reference=mandate.reference,
                    date=format_date(mandate.ends_on, "short")), "success")
    else:
        flash(_("Give the last day of the mandate."), "danger")
    return redirect(url_for("agency.clients") + f"#client-{client_id}")
