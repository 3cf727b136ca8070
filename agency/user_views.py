"""Admin actions on users (deactivate, reactivate, change a role, send a reset link, unlock, reset the second
factor) and the sign-in settings. Each is a POST with its CSRF token, audited by its operation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency import audit, lockout, passwords, second_factor
from agency.auth import permission_required
from agency.db import db
from agency.forms import ActionForm, SecuritySettingsForm
from agency.models import Client, Role, User
from agency.security_models import SecuritySettings
from agency.users import UserError, change_role, deactivate_user, reactivate_user
from agency.views import role_form

bp = Blueprint("user_admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _done(user: User, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("agency.users") + f"#user-{user.id}")


def _refused(user: User, exc: UserError):
    db.session.rollback()
    flash(str(exc), "danger")
    return redirect(url_for("agency.users") + f"#user-{user.id}")


@bp.post("/users/<int:user_id>/deactivate")
@permission_required("agency.users")
def deactivate(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        deactivate_user(user, actor=current_user)
    except UserError as exc:
        return _refused(user, exc)
    return _done(user, _("%(email)s is deactivated and signed out.", email=user.email))


@bp.post("/users/<int:user_id>/reactivate")
@permission_required("agency.users")
def reactivate(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    reactivate_user(user, actor=current_user)
    return _done(user, _("%(email)s can sign in again.", email=user.email))


@bp.post("/users/<int:user_id>/role")
@permission_required("agency.users")
def set_role(user_id: int):
    user = _user_or_404(user_id)
    form = role_form()
    if not form.validate_on_submit():
        abort(400)
    client = db.session.get(Client, form.client_id.data) if form.client_id.data else None
    try:
        change_role(user, Role(form.role.data), actor=current_user, client=client)
    except UserError as exc:
        return _refused(user, exc)
    return _done(user, _("%(email)s has a new role; their sessions are signed out.", email=user.email))


@bp.post("/users/<int:user_id>/reset-link")
@permission_required("agency.users")
def send_reset(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit() or not user.active:
        abort(400)
    passwords.send_reset_link(user, actor=current_user)
    return _done(user, _("A link to choose a new password was sent to %(email)s.", email=user.email))


@bp.post("/users/<int:user_id>/unlock")
@permission_required("agency.users")
def unlock(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if lockout.clear_account(user.email):
        audit.record("user.unlocked", actor=current_user, subject=user)
    return _done(user, _("%(email)s may sign in again.", email=user.email))


@bp.post("/users/<int:user_id>/second-factor/reset")
@permission_required("agency.users")
def reset_second_factor(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    second_factor.reset(user, actor=current_user)
    return _done(user, _("%(email)s will set up a new second factor at their next sign-in.", email=user.email))


@bp.route("/security", methods=["GET", "POST"])
@permission_required("agency.security")
def security():
    current = second_factor.settings()
    form = SecuritySettingsForm(obj=current)
    if form.validate_on_submit():
        row = db.session.get(SecuritySettings, 1) or current
        db.session.add(row)
        before, after = audit.changes(row, **{name: getattr(form, name).data for name in (
            "second_factor_collectors", "second_factor_clients", "idle_minutes", "client_idle_minutes",
            "session_hours")})
        row.updated_by_id = current_user.id
        audit.record("security.settings_changed", actor=current_user, subject_type="security_settings",
                     before=before, after=after)
        db.session.commit()
        flash(_("Sign-in settings saved."), "success")
        return redirect(url_for("user_admin.security"))
    return render_template("agency/security.html", form=form), 200 if not form.errors else 400
