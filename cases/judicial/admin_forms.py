"""Form of the admins' page of the law's figures: a new value of one figure from a date."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from cases.judicial.settings import FIGURES


class SettingForm(FlaskForm):
    # The value is checked by `settings.add_value`, which knows each figure's unit (euros, months, points…).
    key = SelectField(_l("Figure"), choices=[SelectChoice(f.key, f.label) for f in FIGURES],
                      validators=[DataRequired(message=_l("Choose the figure."))])
    value = StringField(_l("New value"), validators=[
        InputRequired(message=_l("Give the new value.")), Length(max=120, message=_l("At most 120 characters."))])
    valid_from = DateField(_l("Applies from"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[
        DataRequired(message=_l("Give the first day the new value applies, as 31/12/2026 or 2026-12-31."))])
    source = StringField(_l("Source (text, decree, tariff)"), validators=[
        Optional(), Length(max=200, message=_l("At most 200 characters."))])
