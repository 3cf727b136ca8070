"""Forms of the debtor's space (WTForms only; CSRF on each, through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class SecondFactorForm(FlaskForm):
    """The answer asked at the door; its label is set by the view (postcode or SIREN)."""

    answer = StringField(_l("Your answer"), validators=[DataRequired(), Length(max=32)])


class LeaveForm(FlaskForm):
    """Carries only the CSRF token of the leave button."""
