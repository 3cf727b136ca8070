"""Forms of a case's attachments (WTForms only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])
    visible_to_client = BooleanField(_l("Visible to the client"))


class VisibilityForm(FlaskForm):
    visible = HiddenField()
