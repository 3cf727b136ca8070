"""Forms of the debtor pages: holds, contact-point changes, and the contact rules of a jurisdiction."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agency.clock import today
from debtors.compliance import DEBTOR_HOLDS, holiday_countries, parse_ranges
from debtors.labels import CHANNEL, CONTACT_SOURCE_CHOICES, HOLD

WEEKDAYS = {
    1: _l("Monday"),
    2: _l("Tuesday"),
    3: _l("Wednesday"),
    4: _l("Thursday"),
    5: _l("Friday"),
    6: _l("Saturday"),
    7: _l("Sunday"),
}


class HoldForm(FlaskForm):
    kind = SelectField(_l("Kind of hold"), choices=[SelectChoice(k.value, HOLD[k.value]) for k in DEBTOR_HOLDS])
    reference_date = DateField(
        _l("Date of the judgment or decision"),
        validators=[Optional()],
        description=_l("Insolvency: the date of the opening judgment; interest stops from that day."),
    )
    bodacc_published_on = DateField(
        _l("BODACC publication date"),
        validators=[Optional()],
        description=_l("Insolvency: the claim must be declared within 2 months of the publication."),
    )
    reason = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Put on hold"))

    def validate_reference_date(self, field: Field) -> None:
        if field.data and field.data > today():
            raise ValidationError(_l("The date of the judgment cannot be in the future."))

    def validate_bodacc_published_on(self, field: Field) -> None:
        if field.data and field.data > today():
            raise ValidationError(_l("The BODACC publication date cannot be in the future."))
        judgment = self.reference_date.data
        if field.data and judgment and field.data < judgment:
            raise ValidationError(_l("The BODACC publication cannot come before the judgment it announces."))


class EndHoldForm(FlaskForm):
    resolution = TextAreaField(
        _l("Resolution"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("End the hold"))


class ContactPointForm(FlaskForm):
    """Carries only the CSRF token of the opt-out and wrong-number buttons."""


class _ContactDetailsForm(FlaskForm):
    """Where new contact details come from and when they were learned; the formats are the service's to check."""

    source = SelectField(_l("Source"), choices=[SelectChoice(v, label) for v, label in CONTACT_SOURCE_CHOICES.items()])
    learned_on = DateField(_l("Learned on"), default=today,
                           validators=[InputRequired(_l("Give the day the details were learned."))])
    label = StringField(_l("Label"), validators=[Optional(), Length(max=20)],
                        description=_l("For example mobile, work, head office."))


class PhoneForm(_ContactDetailsForm):
    number = StringField(_l("Phone number"), validators=[InputRequired(_l("Give the phone number.")),
                                                         Length(max=40)])
    submit = SubmitField(_l("Add the phone"))


class EmailForm(_ContactDetailsForm):
    address = StringField(_l("E-mail address"), validators=[InputRequired(_l("Give the e-mail address.")),
                                                            Length(max=254)])
    submit = SubmitField(_l("Add the e-mail address"))


class AddressForm(_ContactDetailsForm):
    # Lines are checked against the window's 38 characters by the service, which says by how much.
    name_line = StringField(_l("Recipient line"), validators=[Optional(), Length(max=200)],
                            description=_l("Under the debtor’s name, if needed: c/o, department, building."))
    line1 = StringField(_l("Number and street"), validators=[InputRequired(_l("Give the number and street.")),
                                                             Length(max=200)])
    line2 = StringField(_l("Address line 2"), validators=[Optional(), Length(max=200)],
                        description=_l("Locality, PO box."))
    postcode = StringField(_l("Postcode"), validators=[InputRequired(_l("Give the postcode.")), Length(max=16)])
    city = StringField(_l("Town"), validators=[InputRequired(_l("Give the town.")), Length(max=200)])
    country = SelectField(_l("Country"), default="FR")
    submit = SubmitField(_l("Add the address"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        territories = get_locale().territories if get_locale() else {}
        names = {code: territories.get(code, code) for code in territories if len(code) == 2 and code.isalpha()}
        names.setdefault("FR", "France")
        self.country.choices = [SelectChoice("FR", names["FR"])] + [
            SelectChoice(code, name) for code, name in sorted(names.items(), key=lambda item: item[1]) if code != "FR"
        ]


CONTACT_FORMS = {"phone": PhoneForm, "email": EmailForm, "address": AddressForm}


class ReturnedForm(FlaskForm):
    returned_on = DateField(_l("Came back on"), default=today,
                            validators=[InputRequired(_l("Give the day the letter came back."))])


class RangesField(StringField):
    """A weekday's contact windows typed as "10:00-13:00, 14:00-20:00"; blank means no contact that day."""

    ranges: list[list[str]] | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        # A ValueError raised here becomes the field's error, shown under it.
        self.ranges = parse_ranges(self.data or "")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ContactProfileForm(FlaskForm):
    day_1 = RangesField(WEEKDAYS[1])
    day_2 = RangesField(WEEKDAYS[2])
    day_3 = RangesField(WEEKDAYS[3])
    day_4 = RangesField(WEEKDAYS[4])
    day_5 = RangesField(WEEKDAYS[5])
    day_6 = RangesField(WEEKDAYS[6])
    day_7 = RangesField(WEEKDAYS[7])
    hours_channels = MultiCheckboxField(
        _l("Channels the hours apply to"), choices=[SelectChoice(c, label) for c, label in CHANNEL.items() if c != "post"]
    )
    no_contact_on_holidays = BooleanField(_l("No contact on public holidays"))
    holiday_country = SelectField(_l("Country of the public holidays"))
    call_cap = IntegerField(
        _l("Call cap (attempts)"),
        validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("Leave blank for no cap."),
    )
    call_cap_days = IntegerField(_l("Over this many days"), validators=[InputRequired(), NumberRange(min=1, max=365)])
    conversation_wait_days = IntegerField(
        _l("Days without a call after a conversation"),
        validators=[InputRequired(), NumberRange(min=0, max=365)],
        description=_l("0 for no wait."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        territories = get_locale().territories if get_locale() else {}
        self.holiday_country.choices = [
            SelectChoice(code, f"{code} · {territories[code]}" if code in territories else code)
            for code in holiday_countries()
        ]

    @property
    def day_fields(self) -> list[RangesField]:
        return [getattr(self, f"day_{d}") for d in WEEKDAYS]

    def windows(self) -> dict[str, list[list[str]]]:
        """Return the validated windows as the profile stores them (days without a window left out)."""
        return {str(d): field.ranges for d, field in zip(WEEKDAYS, self.day_fields, strict=True) if field.ranges}
