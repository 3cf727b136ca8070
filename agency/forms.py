"""Forms of the agency side: sign-in, one's own account, users, sign-in settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from agency.models import Role
from agency.users import MIN_PASSWORD_LENGTH, password_rule

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Manager"),
    Role.COLLECTOR: _l("Collector"),
    Role.CLIENT: _l("Client user"),
}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    # No "stay signed in": a session ends after the idle limit, and a cookie restoring it would undo that.
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6 digits of your authenticator app, or one of your recovery codes."),
    )
    submit = SubmitField(_l("Continue"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


def _new_password_fields(label):
    return (
        PasswordField(label, validators=[DataRequired(password_rule())],
                      description=_l("At least %(num)d characters, not your name, not a common password.",
                                     num=MIN_PASSWORD_LENGTH)),
        PasswordField(_l("New password, again"),
                      validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))]),
    )


class ResetPasswordForm(FlaskForm):
    new_password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set the password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change the password"))


class EnrolForm(FlaskForm):
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=12)])
    submit = SubmitField(_l("Turn on the second factor"))


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""

    submit = SubmitField()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    client_id = SelectField(_l("Client (client users only)"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Change the role"))


class SecuritySettingsForm(FlaskForm):
    second_factor_collectors = BooleanField(_l("Collectors must use the second factor"))
    second_factor_clients = BooleanField(_l("Client users must use the second factor"))
    idle_minutes = IntegerField(_l("Staff are signed out after this many idle minutes"),
                                validators=[DataRequired(), NumberRange(5, 480)])
    client_idle_minutes = IntegerField(_l("Client users are signed out after this many idle minutes"),
                                       validators=[DataRequired(), NumberRange(5, 480)])
    session_hours = IntegerField(_l("Every session ends this many hours after signing in"),
                                 validators=[DataRequired(), NumberRange(1, 24)])
    submit = SubmitField(_l("Save"))


class TokenForm(FlaskForm):
    name = StringField(_l("What is it for?"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Issue an API token"))


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        default=Role.COLLECTOR.value,
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
    )
    client_id = SelectField(_l("Client (client users only)"), coerce=int, validators=[Optional()])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(password_rule()), Length(min=MIN_PASSWORD_LENGTH, message=password_rule())],
        description=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
    )
    submit = SubmitField(_l("Create user"))
