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
from debtors.contacts import ContactError
from debtors.forms import (
    CONTACT_FORMS,
    WEEKDAYS,
    ContactPointForm,
    ContactProfileForm,
    EndHoldForm,
    HoldForm,
    ReturnedForm,
)
from debtors.holds import HoldError, claim_filing_deadline, end_hold, put_on_hold
from debtors.models import ContactKind, ContactPoint, ContactProfile, Debtor, Hold

bp = Blueprint("debtors", __name__)


# Debtors are shared by all clients and only staff reach these pages, so no tenant scope applies.
def _debtor_or_404(debtor_id: int) -> Debtor:
    return db.session.get(Debtor, debtor_id) or abort(404)


def _render_show(debtor: Debtor, hold_form: HoldForm | None = None, end_forms: dict | None = None, status: int = 200,
                 contact_forms: dict | None = None):
    end_forms = end_forms or {}
    for hold in debtor.active_holds:
        end_forms.setdefault(hold.id, EndHoldForm(prefix=f"end-{hold.id}", formdata=None))
    # One form a kind to add, one a usable point to correct: the one posted comes back with its errors.
    contact_forms = contact_forms or {}
    for kind, form_class in CONTACT_FORMS.items():
        contact_forms.setdefault(kind, form_class(prefix=kind, formdata=None))
    for point in debtor.contact_points:
        if point.usable:
            contact_forms.setdefault(point.id, _correction_form(point, formdata=None))
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
        can_edit_contacts=can("contacts.edit"),
        contact_forms=contact_forms,
        returned_form=ReturnedForm(formdata=None),
    )
    return page, status


def _correction_form(point: ContactPoint, **kwargs):
    """The form of `point`'s kind, filled with its details, that replaces it with corrected ones."""
    form = CONTACT_FORMS[point.kind](prefix=f"fix-{point.id}", **kwargs)
    if kwargs.get("formdata", True) is None:
        form.label.data = point.label
        if point.kind == ContactKind.ADDRESS:
            form.name_line.data, form.line1.data, form.line2.data = point.name_line, point.address_line1, \
                point.address_line2
            form.postcode.data, form.city.data, form.country.data = point.postcode, point.city, point.country
        elif point.kind == ContactKind.PHONE:
            form.number.data = point.value
        else:
            form.address.data = point.value
    return form


def _checked_fields(debtor: Debtor, kind: str, form) -> dict[str, str]:
    if kind == ContactKind.PHONE:
        return contacts.check_phone(debtor, form.number.data)
    if kind == ContactKind.EMAIL:
        return contacts.check_email(form.address.data)
    return contacts.check_address(name_line=form.name_line.data or "", line1=form.line1.data,
                                  line2=form.line2.data or "", postcode=form.postcode.data, city=form.city.data,
                                  country=form.country.data)


def _save_contact_point(debtor: Debtor, kind: str, form, replaces: ContactPoint | None = None) -> bool:
    """Check and record the form's contact point; put every refusal under its field and write nothing."""
    if not form.validate_on_submit():
        return False
    try:
        fields = _checked_fields(debtor, kind, form)
        contacts.record_contact_point(debtor, kind, fields, source=form.source.data, learned_on=form.learned_on.data,
                                      actor=current_user, label=form.label.data or "", replaces=replaces)
    except ContactError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            form[field].errors = [*form[field].errors, message]
        return False
    db.session.commit()
    return True


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


@bp.post("/debtors/<int:debtor_id>/contact-points/<any(phone, email, address):kind>")
@permission_required("contacts.edit")
def add_contact_point(debtor_id: int, kind: str):
    debtor = _debtor_or_404(debtor_id)
    form = CONTACT_FORMS[kind](prefix=kind)
    if _save_contact_point(debtor, kind, form):
        flash(_("The new contact details are saved."), "success")
        return redirect(url_for("debtors.show", debtor_id=debtor.id, _anchor="contact-points"))
    return _render_show(_debtor_or_404(debtor_id), contact_forms={kind: form}, status=400)


@bp.post("/debtors/<int:debtor_id>/contact-points/<int:contact_point_id>/correct")
@permission_required("contacts.edit")
def correct_contact_point(debtor_id: int, contact_point_id: int):
    debtor = _debtor_or_404(debtor_id)
    point = _contact_point_or_404(debtor, contact_point_id)
    form = _correction_form(point)
    if _save_contact_point(debtor, point.kind, form, replaces=point):
        flash(_("The corrected details replace the old ones, which are kept in the history."), "success")
        return redirect(url_for("debtors.show", debtor_id=debtor.id, _anchor="contact-points"))
    debtor = _debtor_or_404(debtor_id)
    return _render_show(debtor, contact_forms={point.id: form}, status=400)


def _contact_point_or_404(debtor: Debtor, contact_point_id: int) -> ContactPoint:
    return db.session.scalar(
        sa.select(ContactPoint).where(ContactPoint.id == contact_point_id, ContactPoint.debtor_id == debtor.id)
    ) or abort(404)


@bp.post("/debtors/<int:debtor_id>/contact-points/<int:contact_point_id>/preferred")
@permission_required("contacts.edit")
def prefer_contact_point(debtor_id: int, contact_point_id: int):
    debtor = _debtor_or_404(debtor_id)
    point = _contact_point_or_404(debtor, contact_point_id)
    if ContactPointForm().validate_on_submit():
        try:
            contacts.mark_preferred(point, actor=current_user)
        except ContactError as exc:
            flash(" ".join(exc.errors.values()), "danger")
        else:
            db.session.commit()
            flash(_("This contact point is now the preferred one of its kind."), "success")
    return redirect(url_for("debtors.show", debtor_id=debtor.id, _anchor="contact-points"))


@bp.post("/debtors/<int:debtor_id>/contact-points/<int:contact_point_id>/returned")
@permission_required("contacts.edit")
def returned_contact_point(debtor_id: int, contact_point_id: int):
    debtor = _debtor_or_404(debtor_id)
    point = _contact_point_or_404(debtor, contact_point_id)
    if point.kind != ContactKind.ADDRESS:
        abort(404)  # only La Poste brings letters back
    form = ReturnedForm()
    if not form.validate_on_submit() or form.returned_on.data > today():
        flash(_("Give the day the letter came back (not in the future)."), "danger")
    elif contacts.mark_returned(point, returned_on=form.returned_on.data, actor=current_user):
        db.session.commit()
        flash(_("The address is marked returned (NPAI): no letter will go to it any more."), "success")
    return redirect(url_for("debtors.show", debtor_id=debtor.id, _anchor="contact-points"))


@bp.post("/debtors/<int:debtor_id>/contact-points/<int:contact_point_id>/<any('opt-out', 'wrong'):change>")
@permission_required("actions.record")
def change_contact_point(debtor_id: int, contact_point_id: int, change: str):
    debtor = _debtor_or_404(debtor_id)
    point = _contact_point_or_404(debtor, contact_point_id)
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
