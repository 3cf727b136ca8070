"""Forms of the debtor's space (WTForms only; CSRF on each, through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from agency.money import AmountError, parse_amount


class SecondFactorForm(FlaskForm):
    """The answer asked at the door; its label is set by the view (postcode or SIREN)."""

    answer = StringField(_l("Your answer"), validators=[DataRequired(), Length(max=32)])


class LeaveForm(FlaskForm):
    """Carries only the CSRF token of the leave button."""


class PayOnlineForm(FlaskForm):
    """What the debtor pays by card: the next instalment, the whole balance, or an amount of their own.

    The choices are set by the view from `money.online.payment_choices`; the amount's bounds are checked there.
    """

    purpose = RadioField(_l("What do you pay?"), validators=[InputRequired(_l("Choose what you pay."))])
    amount = StringField(_l("Amount (€)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def validate_amount(self, field: StringField) -> None:
        field.cents = None
        if self.purpose.data != "own":
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Give the amount you wish to pay."))
        try:
            field.cents = parse_amount(field.data)
        except AmountError as exc:
            raise ValidationError(_l("Type an amount in euros, for example 150 or 150,50.")) from exc
