"""Forms of messaging: sending a message from the case screen, confirming an unsubscribe."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class SendMessageForm(FlaskForm):
    """One per channel (prefixed `sms-`, `email-`); the view fills the choices allowed for the case now."""

    template = SelectField(_l("Template"), validators=[DataRequired()])
    contact_point_id = SelectField(_l("To"), coerce=int, validators=[DataRequired()])


class UnsubscribeForm(FlaskForm):
    """Carries only the CSRF token of the confirm button."""
