"""Forms of the judicial file: preparing the pack, uploading a document (WTForms only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from cases.judicial.documents import KINDS


class PackForm(FlaskForm):
    pack_on = DateField(_l("Filing date (the statement of account is computed to it)"), validators=[Optional()])


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=[SelectChoice(kind, label) for kind, label in KINDS.items()], default="contract")
    title = StringField(_l("Title (empty: the file's name)"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])
