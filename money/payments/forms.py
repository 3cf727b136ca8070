"""Forms of payments: recording one (staff), declaring one paid directly (client users), reversing one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message
from cases.models import Case
from money.models import PaymentChannel, PaymentMethod
from money.payments.labels import CHANNEL, METHOD
from money.payments.payments import KEY_MAX, REASON_MAX, new_idempotency_key

NOTE_MAX = 2000


def _positive_amount(form, field) -> None:
    try:
        cents = parse_amount(field.data or "")
    except AmountError as exc:
        raise ValidationError(_l("Not an amount: type it as 1 234,56.")) from exc
    if cents <= 0:
        raise ValidationError(_l("A payment must be more than zero."))
    if cents > (limit := case_limit_cents()):
        raise ValidationError(too_large_message(limit))


class _PaymentFields(FlaskForm):
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(_l("Give the amount received.")), _positive_amount],
        render_kw={"inputmode": "decimal", "placeholder": "1 234,56", "autocomplete": "off"},
    )
    received_on = DateField(_l("Date received"), validators=[InputRequired(_l("Give the date the money was received."))])
    method = SelectField(_l("Method"), choices=[SelectChoice(m.value, METHOD[m.value]) for m in PaymentMethod])
    payer_reference = StringField(_l("Payer reference"), validators=[Optional(), Length(max=100)])
    debtor_choice = SelectMultipleField(
        _l("Invoices the debtor chose to pay"),
        coerce=int,
        validators=[Optional()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    # Set by the "record it anyway" button of the warning about a payment already on the case.
    confirm_duplicate = BooleanField(validators=[Optional()])
    # Drawn once with the form: submitting the same form twice records the payment once.
    idempotency_key = HiddenField(validators=[DataRequired(_l("This form has expired: reload the page.")),
                                              Length(max=KEY_MAX)])

    def for_case(self, case: Case) -> _PaymentFields:
        """Offer the case's invoices to choose from and, on a fresh form, draw its idempotency key."""
        self.debtor_choice.choices = [SelectChoice(claim.id, claim.invoice_number) for claim in case.claims]
        if not self.is_submitted() and not self.idempotency_key.data:
            self.idempotency_key.data = new_idempotency_key()
        return self

    @property
    def amount_cents(self) -> int:
        return parse_amount(self.amount.data)


class RecordPaymentForm(_PaymentFields):
    channel = SelectField(_l("Received by"), choices=[SelectChoice(c.value, CHANNEL[c.value]) for c in PaymentChannel])
    submit = SubmitField(_l("Record the payment"))


class DeclarePaymentForm(_PaymentFields):
    """A client user declares a payment the debtor made to it directly: the channel is always `direct`."""

    submit = SubmitField(_l("Declare the payment"))


class ReverseForm(FlaskForm):
    reason = StringField(
        _l("Why is it reversed?"),
        validators=[DataRequired(_l("Say why the payment is reversed.")), Length(max=REASON_MAX)],
        render_kw={"placeholder": _l("Bounced cheque, chargeback…")},
    )
    on = DateField(_l("Reversed on"), validators=[InputRequired(_l("Give the date of the reversal."))])
    submit = SubmitField(_l("Reverse"))
