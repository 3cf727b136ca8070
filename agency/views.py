"""Agency pages: sign-in, language, users, clients, agency profile, outbox, system status."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from agency import audit, sessions
from agency.auth import permission_required
from agency.client_forms import EndMandateForm
from agency.clock import today
from agency.db import db
from agency.forms import ROLE_LABELS, ActionForm, LoginForm, RoleForm, TokenForm, UserForm
from agency.jobs import PERIODIC, is_inline
from agency.lockout import locked_emails
from agency.message_models import SmsMessage
from agency.models import AgencyProfile, ApiToken, Client, PeriodicRun, Role, User
from agency.outbox import stuck_counts
from agency.sms import twilio_enabled
from agency.tokens import issue_token, revoke_token
from agency.users import UserError, create_user

bp = Blueprint("agency", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = sessions.attempt_password(form.email.data, form.password.data)
        db.session.commit()  # failures, locks and their audit events are kept too
        if outcome.needs_code:
            return redirect(url_for("account.code", next=_safe_next(request.args.get("next"))))
        if outcome.user is not None:
            return redirect(_safe_next(request.args.get("next")))
        flash(refusal_message(outcome.wait), "danger")
    return render_template("agency/login.html", form=form)


def refusal_message(wait, *, code: bool = False) -> str:
    """The same words whether the e-mail exists or not: a lock, a short wait, or wrong credentials."""
    if wait is not None and wait.locked:
        return _("Too many failed sign-ins: signing in is locked for %(minutes)d minutes.",
                 minutes=max(1, -(-wait.seconds // 60)))
    wrong = _("Wrong code.") if code else _("Wrong e-mail or password.")
    if wait is not None:
        return wrong + " " + _("Wait %(seconds)d seconds before trying again.", seconds=wait.seconds)
    return wrong


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path of this site, never to another host."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("index")


@bp.post("/logout")
@login_required
def logout():
    audit.record("user.logout", actor=current_user, subject=current_user._get_current_object())
    db.session.commit()
    sessions.end()
    flash(_("You are signed out."), "info")
    return redirect(url_for("agency.login"))


@bp.post("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/admin/users")
@permission_required("agency.users")
def users():
    return _users_page(_user_form())


@bp.post("/admin/users")
@permission_required("agency.users")
def create_user_view():
    form = _user_form()
    if form.validate_on_submit():
        client = db.session.get(Client, form.client_id.data) if form.client_id.data else None
        try:
            user = create_user(
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                password=form.password.data,
                client=client,
                actor=current_user,
            )
        except UserError as exc:
            getattr(form, exc.field if exc.field != "client" else "client_id").errors.append(str(exc))
        else:
            audit.record(
                "user.created",
                actor=current_user,
                subject=user,
                after={"email": user.email, "role": user.role, "client_id": user.client_id},
            )
            db.session.commit()
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("agency.users"))
    return _users_page(form), 400


def _users_page(form: UserForm):
    rows = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template(
        "agency/users.html", users=rows, role_labels=ROLE_LABELS, form=form, action_form=ActionForm(),
        role_form=role_form(), locked=locked_emails(),
    )


def _user_form() -> UserForm:
    form = UserForm()
    form.client_id.choices = client_choices()
    return form


def client_choices() -> list[SelectChoice]:
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    return [SelectChoice(0, "—")] + [SelectChoice(c.id, c.name) for c in clients]


def role_form() -> RoleForm:
    """The form that changes a user's role (one per row of the users page, the same choices)."""
    form = RoleForm()
    form.role.choices = [SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    form.client_id.choices = client_choices()
    return form


@bp.get("/clients")
@permission_required("clients.view")
def clients():
    rows = db.session.scalars(sa.select(Client).order_by(Client.name)).all()
    return render_template(
        "agency/clients.html", clients=rows, today=today(), token_form=TokenForm(), end_form=EndMandateForm()
    )


@bp.get("/admin/agency")
@permission_required("agency.profile")
def profile():
    return render_template("agency/profile.html", profile=db.session.get(AgencyProfile, 1))


@bp.get("/outbox")
@permission_required("sms.outbox")
def outbox():
    rows = db.session.scalars(sa.select(SmsMessage).order_by(SmsMessage.id.desc()).limit(200)).all()
    return render_template("agency/outbox.html", messages=rows, twilio=twilio_enabled())


@bp.get("/admin/system")
@permission_required("agency.system")
def system():
    runs = {r.name: r for r in db.session.scalars(sa.select(PeriodicRun))}
    return render_template(
        "agency/system.html",
        periodic=PERIODIC,
        runs=runs,
        database=db.session.get_bind().dialect.name,
        inline=is_inline(),
        twilio=twilio_enabled(),
        outbox=stuck_counts(),
    )


@bp.post("/clients/<int:client_id>/api-tokens")
@permission_required("clients.api_tokens")
def issue_api_token(client_id: int):
    client = db.session.get(Client, client_id) or abort(404)
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400)
    _row, token = issue_token(client, name=form.name.data or "", actor=current_user)
    db.session.commit()
    # Shown once, on the next page only; only its hash is kept.
    flash(_("New API token for %(client)s — copy it now, it will not be shown again: %(token)s",
            client=client.name, token=token), "success")
    return redirect(url_for("agency.clients"))  # no anchor: the token, shown once, is at the top


@bp.post("/clients/<int:client_id>/api-tokens/<int:token_id>/revoke")
@permission_required("clients.api_tokens")
def revoke_api_token(client_id: int, token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.client_id != client_id or not TokenForm().validate_on_submit():
        abort(404)
    revoke_token(row, actor=current_user)
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=row.prefix), "info")
    return redirect(url_for("agency.clients") + f"#client-{client_id}")
