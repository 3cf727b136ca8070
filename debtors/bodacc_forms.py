"""Forms of the BODACC watch page: confirming a finding, dismissing it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class ConfirmFindingForm(FlaskForm):
    """Carries only the CSRF token of the confirm button."""


class DismissFindingForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it not this debtor, or not news?"),
        validators=[DataRequired(_l("Say why the announcement is dismissed.")), Length(max=2000)],
        render_kw={"rows": 2},
    )
