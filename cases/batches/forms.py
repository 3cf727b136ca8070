"""The case list's action bar: which cases, which action, and each action's own choices (checked by the action)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

TICKED, FILTER = "ticked", "filter"


class BatchForm(FlaskForm):
    scope = RadioField(_l("Cases"), default=TICKED, choices=[SelectChoice(TICKED, _l("The ticked cases")),
                                                             SelectChoice(FILTER, _l("All the cases matching"))])
    action = SelectField(_l("Action"))
    # The choices below are read only by the action that uses them (cases.batches.actions), which checks them.
    target = SelectField(_l("Put the cases in"), validate_choice=False, validators=[Optional()])
    hold_kind = SelectField(_l("Kind of hold"), validate_choice=False, validators=[Optional()])
    hold_reason = StringField(_l("Reason for the hold"), validators=[Optional(), Length(max=2000)])
    letter_kind = SelectField(_l("Letter"), validate_choice=False, validators=[Optional()])
    sms_template = SelectField(_l("SMS"), validate_choice=False, validators=[Optional()])
    task_title = StringField(_l("Task"), validators=[Optional(), Length(max=400)])
    task_due_on = DateField(_l("Due on"), validators=[Optional()])
    task_assignee = SelectField(_l("For"), validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("Run on the selection"))


class ResumeForm(FlaskForm):
    """Carries only the CSRF token of the "Resume" button."""
