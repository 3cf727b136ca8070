"""Forms of notes and tasks (WTForms only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cases.models.notes import NOTE_MAX_CHARS, TASK_DETAIL_MAX_CHARS, TASK_TITLE_MAX_CHARS
from cases.notes.notes import REASON_MAX_CHARS


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(_l("Write the note.")), Length(max=NOTE_MAX_CHARS)],
                         render_kw={"rows": 3, "maxlength": NOTE_MAX_CHARS})
    visible_to_client = BooleanField(_l("Visible to the client"))


class HideNoteForm(FlaskForm):
    reason = StringField(_l("Why hide it"), validators=[DataRequired(_l("Say why the note is hidden.")),
                                                        Length(max=REASON_MAX_CHARS)],
                         render_kw={"maxlength": REASON_MAX_CHARS})


class TaskForm(FlaskForm):
    title = StringField(_l("Task"), validators=[DataRequired(_l("Give the task a title.")),
                                                Length(max=TASK_TITLE_MAX_CHARS)],
                        render_kw={"maxlength": TASK_TITLE_MAX_CHARS})
    detail = TextAreaField(_l("Detail"), validators=[Optional(), Length(max=TASK_DETAIL_MAX_CHARS)],
                           render_kw={"rows": 2, "maxlength": TASK_DETAIL_MAX_CHARS})
    due_on = DateField(_l("Due on"), validators=[DataRequired(_l("Give the date the task is due."))])
    assignee = SelectField(_l("For"), validate_choice=False)  # checked by the operation, which names the field
    about_debtor = BooleanField(_l("Concerns the debtor (all their cases)"))


class CloseTaskForm(FlaskForm):
    back = HiddenField()  # "mine" or "all" to return to that list of tasks, else to the task's case
