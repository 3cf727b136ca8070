"""Forms of closing: the proposal (reason and evidence), the manager's decision, the reopening."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

NOTE_MAX = 2000


class CloseForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))], choices=[],
                         validate_choice=False)  # the operation checks it against the active reasons
    evidence = TextAreaField(_l("Evidence (what shows it)"), validators=[Optional(), Length(max=NOTE_MAX)],
                             render_kw={"rows": 2})


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note (required to refuse)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 2})


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why is the case reopened?"), validators=[Optional(), Length(max=NOTE_MAX)],
                           render_kw={"rows": 2})


class BulkCloseForm(FlaskForm):
    references = TextAreaField(_l("Case references (one per line, or separated by commas)"),
                               validators=[Optional()], render_kw={"rows": 8})
    file = FileField(_l("Or a file of references (CSV or text)"))
    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))], choices=[],
                         validate_choice=False)
    evidence = TextAreaField(_l("Evidence (what shows it)"), validators=[Optional(), Length(max=NOTE_MAX)],
                             render_kw={"rows": 2})
