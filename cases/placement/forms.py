"""Forms of placements: the upload and the column mapping."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.validators import Optional

ALLOWED = ["csv", "txt", "xlsx", "xls", "ods"]


class UploadForm(FlaskForm):
    client_id = SelectField(_l("Client"), coerce=int, validators=[Optional()])
    file = FileField(
        _l("Placement file (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or Excel files only."))],
    )
    submit = SubmitField(_l("Upload and check"))


class ConfirmForm(FlaskForm):
    """Carries only the CSRF token of the confirm and cancel buttons."""
