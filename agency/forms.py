"""Forms of the agency side: login, users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

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
    remember = BooleanField(_l("Stay signed in"))
    submit = SubmitField(_l("Sign in"))


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
