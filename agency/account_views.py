"""One's own account: the sign-in's second step, a forgotten password, changing it, the second factor.

Also the check every request of a signed-in browser passes first (`_check_session`): a session past its idle
limit or lifetime, or of an older session version, ends and goes to the sign-in page; a user who must have the
second factor and has not is kept on its enrolment page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency import passwords, second_factor, sessions
from agency.auth import permission_required
from agency.db import db
from agency.forms import (
    ActionForm,
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    ForgotPasswordForm,
    ResetPasswordForm,
)
from agency.ratelimit import retry_after
from agency.users import UserError, change_own_password
from agency.views import _safe_next, refusal_message

bp = Blueprint("account", __name__)

ENROLMENT = "second_factor_secret"  # the secret being enrolled, until its first code is confirmed
# What a user who must enrol the second factor may still reach.
WHILE_ENROLLING = {"account.second_factor", "account.enable_second_factor", "account.renew_recovery_codes", "agency.logout", "agency.set_language",
                   "static", "bootstrap.static"}
FORGOT_PER_ADDRESS = 10  # reset requests per address and hour: no one fills mailboxes from the sign-in page


@bp.before_app_request
def _check_session():
    if "_user_id" not in session:
        return None
    if not current_user.is_authenticated:  # deactivated, or a newer session version (agency.auth)
        sessions.end()
        flash(_("Your session has ended. Please sign in again."), "warning")
        return _to_login()
    reason = sessions.expired(current_user)
    if reason is not None:
        sessions.end()
        flash(_("You were signed out after a period without activity.") if reason == "idle"
              else _("Your session has reached its time limit. Please sign in again."), "warning")
        return _to_login()
    if (not current_user.totp_enabled and request.endpoint not in WHILE_ENROLLING
            and second_factor.required_for(current_user)):
        flash(_("Your role requires a second factor: set it up to continue."), "warning")
        return redirect(url_for("account.second_factor"))
    return None


def _to_login():
    if request.method == "GET" and request.endpoint not in (None, "agency.login"):
        return redirect(url_for("agency.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("agency.login"))


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    user = sessions.pending_user()
    if user is None:
        return redirect(url_for("agency.login"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = sessions.attempt_code(user, form.code.data)
        db.session.commit()
        if outcome.user is not None:
            return redirect(_safe_next(request.args.get("next")))
        flash(refusal_message(outcome.wait, code=True), "danger")
    return render_template("agency/login_code.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if retry_after(f"reset:{request.remote_addr}", FORGOT_PER_ADDRESS, 3600) is None:
            passwords.request_reset(form.email.data)
            db.session.commit()
        # The same answer for every e-mail, known or not, and when the address asked too often.
        flash(_("If this address belongs to an account, a link to choose a new password is on its way. "
                "It works once, within an hour."), "info")
        return redirect(url_for("agency.login"))
    return render_template("agency/password_forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    row = passwords.find_reset(token)
    if row is None:  # answered in place with the form to ask for another, 410 whether it ever existed or not
        flash(_("This link has expired or was already used. Ask for a new one."), "danger")
        return render_template("agency/password_forgot.html", form=ForgotPasswordForm(formdata=None)), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = passwords.use_reset(token, form.new_password.data)
        except UserError as exc:
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            sessions.end()
            flash(_("Your password is set. Sign in with it, %(name)s.", name=user.name), "success")
            return redirect(url_for("agency.login"))
    return render_template("agency/password_reset.html", form=form, user=row.user)


@bp.route("/account/password", methods=["GET", "POST"])
@permission_required("account.own")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current_password.data, form.new_password.data)
        except UserError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            sessions.renew(current_user._get_current_object())  # this browser stays signed in; the others are signed out
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("account.change_password"))
    return render_template("agency/account_password.html", form=form)


@bp.get("/account/second-factor", endpoint="second_factor")
@permission_required("account.own")
def second_factor_page():
    return _enrolment_page(EnrolForm())


@bp.post("/account/second-factor")
@permission_required("account.own")
def enable_second_factor():
    form = EnrolForm()
    secret = session.get(ENROLMENT)
    if current_user.totp_enabled or not secret:
        return redirect(url_for("account.second_factor"))
    if form.validate_on_submit():
        try:
            codes = second_factor.enable(current_user, secret, form.code.data)
        except UserError as exc:
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            session.pop(ENROLMENT, None)
            # Shown in this answer only, never again: no redirect that would need to carry them.
            response = render_template("agency/recovery_codes.html", codes=codes)
            return response, 200, {"Cache-Control": "no-store"}
    return _enrolment_page(form, status=400)


@bp.post("/account/second-factor/recovery-codes")
@permission_required("account.own")
def renew_recovery_codes():
    if not current_user.totp_enabled or not ActionForm().validate_on_submit():
        return redirect(url_for("account.second_factor"))
    codes = second_factor.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("agency/recovery_codes.html", codes=codes), 200, {"Cache-Control": "no-store"}


def _enrolment_page(form: EnrolForm, status: int = 200):
    if current_user.totp_enabled:
        left = second_factor.recovery_codes_left(current_user)
        return render_template("agency/second_factor.html", enabled=True, left=left, action_form=ActionForm())
    secret = session.get(ENROLMENT) or second_factor.new_secret()
    session[ENROLMENT] = secret  # in the signed session cookie only until confirmed; shown on this page anyway
    uri = second_factor.provisioning_uri(current_user, secret)
    page = render_template(
        "agency/second_factor.html", enabled=False, form=form, secret=secret, qr=second_factor.qr_svg(uri),
        required=second_factor.required_for(current_user),
    )
    return page, status, {"Cache-Control": "no-store"}
