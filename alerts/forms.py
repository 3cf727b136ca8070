"""Forms of the alerts: acknowledging them, and the settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, ValidationError
from wtforms.validators import DataRequired, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from agency.money import AmountError, parse_amount

MAX_THRESHOLD_CENTS = 100_000_000_000


class AcknowledgeForm(FlaskForm):
    """The ids of the alerts shown (one, or all those of the page), comma-separated."""

    ids = HiddenField(validators=[DataRequired(_l("Choose the alerts to acknowledge.")),
                                  Regexp(r"^\d+(,\d+)*$", message=_l("Choose the alerts to acknowledge."))])

    @property
    def alert_ids(self) -> list[int]:
        return [int(i) for i in self.ids.data.split(",")][:1000]


def _positive_amount(form, field) -> None:
    try:
        cents = parse_amount(field.data or "")
    except AmountError as exc:
        raise ValidationError(_l("Write an amount such as 5 000,00.")) from exc
    if cents <= 0:
        raise ValidationError(_l("The payment threshold must be above zero."))
    if cents > MAX_THRESHOLD_CENTS:
        raise ValidationError(_l("The payment threshold cannot exceed one billion euros."))


class SettingsForm(FlaskForm):
    payment_threshold = StringField(
        _l("Alert on payments of at least"),
        validators=[DataRequired(_l("Give the payment threshold.")), _positive_amount],
        render_kw={"inputmode": "decimal", "placeholder": "5 000,00", "autocomplete": "off"},
    )
    digest_enabled = BooleanField(_l("Send the daily e-mail digest"))
    recipients = SelectMultipleField(
        _l("Recipients"), coerce=int, option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
        validate_choice=True,
    )

    @property
    def threshold_cents(self) -> int:
        return parse_amount(self.payment_threshold.data)
