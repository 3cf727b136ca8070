"""Forms of letters: asking for one, deciding on a formal notice, recording one that came back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from agency.clock import today
from cases.models import LetterKind


class CreateLetterForm(FlaskForm):
    kind = HiddenField(validators=[AnyOf([k.value for k in LetterKind])])
    # Only for a letter out of order (cases.letters.sequence): why it must go now; kept in the case's history.
    reason = TextAreaField(_l("Why send it now?"), validators=[Optional(), Length(max=500)])


class ApproveForm(FlaskForm):
    """Carries only the CSRF token of the approve button."""


class RejectForm(FlaskForm):
    note = TextAreaField(
        _l("Why is it rejected?"),
        validators=[DataRequired(_l("Say why the formal notice is rejected.")), Length(max=2000)],
    )


class ReturnedLetterForm(FlaskForm):
    returned_on = DateField(_l("Came back on"), default=today,
                            validators=[InputRequired(_l("Give the day the letter came back."))])
