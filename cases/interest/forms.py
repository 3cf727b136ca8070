"""Forms of rates: add a half-year's rate, correct one, confirm one, post interest on a case."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from agency.client_forms import PercentField
from cases.interest import labels


def _two_decimals(form, field) -> None:
    if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
        raise ValidationError(_l("At most two decimals, e.g. 2,65."))


def _rate_given(form, field) -> None:
    # Not DataRequired: a rate of 0 % is a real rate (the ECB's until July 2022), not a missing one.
    if field.data is None:
        raise StopValidation(_l("Type the rate as a percentage, e.g. 2,65."))


RATE = [
    _rate_given,
    NumberRange(min=0, max=100, message=_l("A rate between 0 and 100.")),
    _two_decimals,
]


class RateForm(FlaskForm):
    kind = SelectField(_l("Rate"), choices=[SelectChoice(k, v) for k, v in labels.KIND.items()],
                       validators=[DataRequired()])
    starts_on = DateField(_l("Half-year starting on"), validators=[DataRequired(
        message=_l("Give the first day of the half-year: 1 January or 1 July."))])
    rate = PercentField(_l("Rate (percentage)"), places=2, validators=RATE)
    source = StringField(_l("Source"), validators=[Optional(), Length(max=200)])

    @property
    def rate_bp(self) -> int:
        return int(self.rate.data * 100)


class CorrectRateForm(FlaskForm):
    rate = PercentField(_l("Rate (percentage)"), places=2, validators=RATE)
    source = StringField(_l("Source"), validators=[Optional(), Length(max=200)])

    @property
    def rate_bp(self) -> int:
        return int(self.rate.data * 100)


class ConfirmRateForm(FlaskForm):
    """Nothing to fill in: the CSRF token alone."""


class PostInterestForm(FlaskForm):
    """Nothing to fill in: interest is posted up to today."""
