"""Forms of what a debtor asks from their space: a plan, a dispute or another answer, how to be contacted.

WTForms only, CSRF on each through Flask-WTF; every message names its field, in the debtor's language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message

MAX_DEBTOR_INSTALMENTS = 36


def _optional_amount(form, field: StringField) -> None:
    if not (field.data or "").strip():
        field.cents = None
        return
    try:
        cents = parse_amount(field.data)
    except AmountError as exc:
        raise ValidationError(_l("Type an amount in euros, for example 150 or 150,50.")) from exc
    if cents <= 0:
        raise ValidationError(_l("The amount must be more than zero."))
    if cents > case_limit_cents():
        raise ValidationError(too_large_message(case_limit_cents()))
    field.cents = cents


class PlanProposalForm(FlaskForm):
    """The debtor's plan: the whole balance, or an amount offered to settle, in monthly payments."""

    kind = RadioField(_l("What do you propose?"), default="plan", choices=[
        SelectChoice("plan", _l("To pay everything in several monthly payments")),
        SelectChoice("settlement", _l("To settle for a smaller amount (your creditor may refuse)"))],
        validators=[InputRequired(_l("Choose what you propose."))])
    offer = StringField(_l("Amount you offer to settle everything (€)"), validators=[_optional_amount],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    count = IntegerField(_l("Number of monthly payments"), default=3, validators=[
        InputRequired(_l("Give the number of payments.")),
        NumberRange(1, MAX_DEBTOR_INSTALMENTS, _l("Between %(min)d and %(max)d payments."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_DEBTOR_INSTALMENTS})
    first_due = DateField(_l("Date of the first payment"), validators=[
        InputRequired(_l("Give the date of the first payment."))])
    first_amount = StringField(_l("Amount of the first payment (€, optional)"), validators=[_optional_amount],
                               render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def validate_offer(self, field: StringField) -> None:
        if self.kind.data == "settlement" and not field.errors and getattr(field, "cents", None) is None:
            raise ValidationError(_l("Give the amount you offer."))


TEXT_MAX = 2000


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labels.items()]


class DisputeForm(FlaskForm):
    """Dispute the file or one invoice: a reason from the list, the debtor's words, a document if they have one."""

    claim = SelectField(_l("What do you dispute?"), choices=[], validate_choice=False)
    reason = SelectField(_l("Reason"), validators=[InputRequired(_l("Choose a reason."))])
    text = TextAreaField(_l("Explain in a few words"), validators=[
        InputRequired(_l("Explain what you dispute.")), Length(max=TEXT_MAX)], render_kw={"rows": 4})
    document = FileField(_l("A document that shows it (PDF, JPEG or PNG, optional)"),
                         render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
    submit = SubmitField(_l("Send my dispute"))


class PaymentMadeForm(FlaskForm):
    """A payment the debtor says they made, with its proof."""

    amount = StringField(_l("Amount paid (€)"), validators=[InputRequired(_l("Give the amount paid.")),
                                                            _optional_amount],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    paid_on = DateField(_l("Date of the payment"), validators=[InputRequired(_l("Give the date of the payment."))])
    method = SelectField(_l("How did you pay?"), validators=[InputRequired(_l("Choose how you paid."))])
    proof = FileField(_l("Proof of payment (PDF, JPEG or PNG)"),
                      render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
    submit = SubmitField(_l("Send my proof of payment"))


class CallbackForm(FlaskForm):
    """A time the debtor would like to be called at, on their own clock."""

    when = DateTimeLocalField(_l("Day and time"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(_l("Give the day and the time."))])
    note = StringField(_l("What about? (optional)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Ask to be called back"))


class HardshipForm(FlaskForm):
    """A hardship the debtor goes through."""

    kind = SelectField(_l("What are you going through?"), validators=[InputRequired(_l("Choose what you are going through."))])
    text = TextAreaField(_l("Tell us more (optional)"), validators=[Length(max=TEXT_MAX)], render_kw={"rows": 3})
    submit = SubmitField(_l("Tell the agency"))


class StopForm(FlaskForm):
    """Stop SMS or e-mails: the channel is the button pressed."""

    sms = SubmitField(_l("Stop SMS"))
    email = SubmitField(_l("Stop e-mails"))


class NewPhoneForm(FlaskForm):
    phone = StringField(_l("Your phone number"), validators=[InputRequired(_l("Give the phone number.")),
                                                             Length(max=40)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    submit = SubmitField(_l("Give this number"))


class NewEmailForm(FlaskForm):
    email = StringField(_l("Your e-mail address"), validators=[InputRequired(_l("Give the e-mail address.")),
                                                               Length(max=254)],
                        render_kw={"inputmode": "email", "autocomplete": "email"})
    submit = SubmitField(_l("Give this address"))


class NewAddressForm(FlaskForm):
    line1 = StringField(_l("Number and street"), validators=[InputRequired(_l("Give the number and the street.")),
                                                             Length(max=200)],
                        render_kw={"autocomplete": "address-line1"})
    line2 = StringField(_l("Building, floor… (optional)"), validators=[Length(max=200)],
                        render_kw={"autocomplete": "address-line2"})
    postcode = StringField(_l("Postcode"), validators=[InputRequired(_l("Give the postcode.")), Length(max=16)],
                           render_kw={"inputmode": "numeric", "autocomplete": "postal-code"})
    city = StringField(_l("Town"), validators=[InputRequired(_l("Give the town.")), Length(max=100)],
                       render_kw={"autocomplete": "address-level2"})
    submit = SubmitField(_l("Give this address"))
