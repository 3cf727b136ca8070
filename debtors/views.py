"""Debtor pages (agency staff only): identity, contact points, holds, all the debtor's cases; and the
administration of the contact rules of each jurisdiction.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, permission_required
from agency.clock import today
from agency.db import db
from agency.models import User
from debtors import contacts
from debtors.compliance import CHANNELS, format_ranges, update_profile
from debtors.forms import WEEKDAYS, ContactPointForm, ContactProfileForm, EndHoldForm, HoldForm
from debtors.holds import HoldError, claim_filing_deadline, end_hold, put_on_hold
from debtors.models import ContactKind, ContactPoint, ContactProfile, Debtor, Hold

bp = Blueprint("debtors", __name__)


# Debtors are shared by all clients and only staff reach these pages, so no tenant scope applies.
def _debtor_or_404(debtor_id: int) -> Debtor:
    return db.session.get(Debtor, debtor_id) or abort(404)


def _render_show(debtor: Debtor, hold_form: HoldForm | None = None, end_forms: dict | None = None, status: int = 200):
    end_forms = end_forms or {}
    for hold in debtor.active_holds:
        end_forms.setdefault(hold.id, EndHoldForm(prefix=f"end-{hold.id}", formdata=None))
    page = render_template(
        "debtors/show.html",
        debtor=debtor,
        hold_form=hold_form or HoldForm(formdata=None),
        end_forms=end_forms,
        filing_deadline=claim_filing_deadline,
        people=_people(debtor.holds),
        today=today(),
        can_manage_holds=can("holds.manage"),
        can_change_contacts=can("actions.record"),
    )
    return page, status


def _people(holds: list[Hold]) -> dict[int, str]:
    ids = {h.created_by_id for h in holds} | {h.ended_by_id for h in holds}
    rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids - {None})))
    return {user_id: name for user_id, name in rows}


@bp.get("/debtors/<int:debtor_id>")
@permission_required("debtors.view")
def show(debtor_id: int):
    return _render_show(_debtor_or_404(debtor_id))


@bp.post("/debtors/<int:debtor_id>/holds")
@permission_required("holds.manage")
def create_hold(debtor_id: int):
    debtor = _debtor_or_404(debtor_id)
    form = HoldForm()
    if form.validate_on_submit():
        try:
            put_on_hold(debtor, form.kind.data, actor=current_user, reason=form.reason.data or "",
                        reference_date=form.reference_date.data,
                        bodacc_published_on=form.bodacc_published_on.data)
        except HoldError as exc:
            form[exc.field or "kind"].errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The debtor is on hold: every contact on all their cases is stopped."), "success")
            return redirect(url_for("debtors.show", debtor_id=debtor.id))
    return _render_show(debtor, hold_form=form, status=400)


@bp.post("/debtors/<int:debtor_id>/holds/<int:hold_id>/end")
@permission_required("holds.manage")
def end_hold_view(debtor_id: int, hold_id: int):
    debtor = _debtor_or_404(debtor_id)
    hold = db.session.scalar(sa.select(Hold).where(Hold.id == hold_id, Hold.debtor_id == debtor.id)) or abort(404)
    form = EndHoldForm(prefix=f"end-{hold.id}")
    if form.validate_on_submit():
        try:
            end_hold(hold, actor=current_user, resolution=form.resolution.data)
        except HoldError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("The hold has ended."), "success")
        return redirect(url_for("debtors.show", debtor_id=debtor.id))
    return _render_show(debtor, end_forms={hold.id: form}, status=400)


@bp.post("/debtors/<int:debtor_id>/contact-points/<int:contact_point_id>/<any('opt-out', 'wrong'):change>")
@permission_required("actions.record")
def change_contact_point(debtor_id: int, contact_point_id: int, change: str):
    debtor = _debtor_or_404(debtor_id)
    point = db.session.scalar(
        sa.select(ContactPoint).where(ContactPoint.id == contact_point_id, ContactPoint.debtor_id == debtor.id)
    ) or abort(404)
    if point.kind == ContactKind.ADDRESS and change == "opt-out":
        abort(404)  # only phones and e-mail addresses take an opt-out
    if ContactPointForm().validate_on_submit():
        if change == "opt-out":
            contacts.opt_out(point, actor=current_user, source="collector")
            flash(_("No message will be sent to this contact point any more."), "success")
        else:
            contacts.mark_wrong(point, actor=current_user)
            flash(_("The contact point is marked as wrong and will not be used."), "success")
        db.session.commit()
    return redirect(url_for("debtors.show", debtor_id=debtor.id))


@bp.get("/admin/contact-rules")
@permission_required("contact_rules.manage")
def contact_rules():
    profiles = db.session.scalars(sa.select(ContactProfile).order_by(ContactProfile.code)).all()
    return render_template(
        "debtors/contact_rules.html", profiles=profiles, weekdays=WEEKDAYS, format_ranges=format_ranges
    )


@bp.route("/admin/contact-rules/<profile_code>", methods=["GET", "POST"])
@permission_required("contact_rules.manage")
def edit_contact_rules(profile_code: str):
    profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == profile_code)) or abort(404)
    form = ContactProfileForm(obj=profile)
    if not form.is_submitted():
        for day, field in zip(WEEKDAYS, form.day_fields, strict=True):
            field.data = format_ranges(profile.windows.get(str(day), []))
    elif form.validate():
        values = {name: form[name].data for name in ("no_contact_on_holidays", "holiday_country", "call_cap",
                                                     "call_cap_days", "conversation_wait_days")}
        channels = [c for c in CHANNELS if c in form.hours_channels.data]
        if update_profile(profile, actor=current_user, windows=form.windows(), hours_channels=channels, **values):
            db.session.commit()
            flash(_("The contact rules of %(name)s are saved.", name=profile.name), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("debtors.contact_rules"))
    status = 400 if form.errors else 200
    return render_template("debtors/contact_rules_form.html", profile=profile, form=form), status
