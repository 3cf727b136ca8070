"""Forms of messaging: sending a message from the case screen, confirming an unsubscribe, the space's links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from cases.models.space_links import MAX_LINK_DAYS


class SendMessageForm(FlaskForm):
    """One per channel (prefixed `sms-`, `email-`); the view fills the choices allowed for the case now."""

    template = SelectField(_l("Template"), validators=[DataRequired()])
    contact_point_id = SelectField(_l("To"), coerce=int, validators=[DataRequired()])


class UnsubscribeForm(FlaskForm):
    """Carries only the CSRF token of the confirm button."""


class RevokeLinksForm(FlaskForm):
    """Carries only the CSRF token of the button that revokes a case's links to the debtor's space."""


class SpaceSettingsForm(FlaskForm):
    """The debtor's space settings an administrator may change."""

    link_days = IntegerField(_l("Days a link to the debtor's space stays valid"),
                             validators=[InputRequired(), NumberRange(min=1, max=MAX_LINK_DAYS)])
    group_cases = BooleanField(_l("Show the debtor their other open cases of the same client"))
