"""Forms of clients, mandates and the agency profile (WTForms only; no database here)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from agency.models import ClaimsNature, Jurisdiction, RemittanceFrequency
from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message


def valid_iban(_form, field) -> None:
    """Check an IBAN's country format and key (schwifty); store it compact."""
    if field.data:
        try:
            field.data = IBAN(field.data).compact
        except SchwiftyException as exc:
            raise ValidationError(_l("This IBAN is not valid.")) from exc


PERCENT = [NumberRange(min=Decimal(0), max=Decimal(100), message=_l("Between %(min)s and %(max)s."))]


class PercentField(DecimalField):
    """A percentage typed the French way ("12,5") or the English way ("12.5")."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata([v.replace(",", ".").replace("%", "").strip() for v in valuelist])


def percent_to_bp(value: Decimal | None) -> int | None:
    """Turn a percentage typed by a person (12.5) into basis points (1250)."""
    return None if value is None else int(value * 100)


class _AddressFields:
    address_line1 = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    address_line2 = StringField(_l("Address (continued)"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=16)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    country = StringField(_l("Country (ISO code)"), default="FR", validators=[DataRequired(), Regexp(r"^[A-Z]{2}$")])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])


class ClientForm(_AddressFields, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{2,32}$",
                       message=_l("2 to 32 letters, digits, - or _."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    legal_form = StringField(_l("Legal form (SAS, SARL…)"), validators=[Optional(), Length(max=60)])
    representative = StringField(_l("Legal representative (name and title)"),
                                 validators=[Optional(), Length(max=200)])
    siren = StringField("SIREN", validators=[Optional(), Length(max=11)])
    vat_number = StringField(_l("VAT number"), validators=[Optional(), Length(max=20)])
    remittance_iban = StringField(_l("IBAN for remittances"), validators=[Optional(), valid_iban])
    is_private_individual = BooleanField(_l("The creditor is a private individual (legal interest rate)"))

    FIELDS = ("code", "name", "legal_form", "representative", "siren", "vat_number", "address_line1", "address_line2",
              "postcode", "city", "country", "email", "phone", "remittance_iban", "is_private_individual")

    def values(self) -> dict:
        return {name: getattr(self, name).data or ("" if name != "is_private_individual" else False)
                for name in self.FIELDS}


MAX_BANDS = 12


class CommissionBandForm(Form):
    """One row of the commission grid: from an age and a principal placed (both inclusive), a rate."""

    from_age_days = IntegerField(_l("From age (days past due)"), validators=[Optional(), NumberRange(
        min=0, max=36_500, message=_l("Between %(min)s and %(max)s."))])
    from_principal = StringField(_l("From principal placed (€)"), validators=[Optional()])
    rate = PercentField(_l("Rate (percentage)"), places=2, validators=[Optional(), *PERCENT])

    def is_blank(self) -> bool:
        return self.from_age_days.data is None and not (self.from_principal.data or "").strip() \
            and self.rate.data is None


class MandateForm(FlaskForm):
    reference = StringField(_l("Mandate reference"), validators=[DataRequired(), Length(max=40)])
    signed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    starts_on = DateField(_l("In force from"), validators=[DataRequired()])
    ends_on = DateField(_l("Until (empty: open-ended)"), validators=[Optional()])
    commission = PercentField(_l("Commission (percentage of amounts collected, excl. VAT)"), places=2, validators=[DataRequired(), *PERCENT])
    fixed_fee = StringField(_l("Fixed fee per case (€, excl. VAT)"), default="0")
    vat = PercentField(_l("VAT rate on the commission (percentage)"), places=2, default=Decimal(20), validators=[Optional(), *PERCENT])
    remittance_frequency = SelectField(_l("Remittances"), default=RemittanceFrequency.MONTHLY.value, choices=[
        SelectChoice(RemittanceFrequency.WEEKLY.value, _l("weekly")),
        SelectChoice(RemittanceFrequency.FORTNIGHTLY.value, _l("fortnightly")),
        SelectChoice(RemittanceFrequency.MONTHLY.value, _l("monthly"))])
    remittance_delay_days = IntegerField(_l("Funds remitted within (days, R124-6: at most one month)"), default=30,
                                         validators=[DataRequired(), NumberRange(min=0, max=31)])
    claims_penalties = BooleanField(_l("Claim late-payment interest"), default=True)
    claims_indemnity = BooleanField(_l("Claim the €40 recovery indemnity per late invoice (businesses, D441-5)"),
                                    default=False)
    max_plan_months = IntegerField(_l("Longest payment plan without asking the client (months)"), default=12,
                                   validators=[Optional(), NumberRange(min=1, max=120,
                                                                           message=_l("Between %(min)s and %(max)s."))])
    # Rows left blank are ignored; the page adds or removes rows by posting back without saving.
    commission_bands = FieldList(FormField(CommissionBandForm), min_entries=1, max_entries=MAX_BANDS)
    contractual_rate = PercentField(_l("Contractual interest rate (percentage; empty: legal rate)"), places=2,
                                    validators=[Optional(), *PERCENT])
    max_discount = PercentField(_l("Largest settlement discount without asking the client (percentage)"), places=2,
                                default=Decimal(0), validators=[Optional(), *PERCENT])
    jurisdiction = SelectField(_l("Contact rules"), default=Jurisdiction.FR.value,
                               choices=[SelectChoice(Jurisdiction.FR.value, _l("France")),
                                        SelectChoice(Jurisdiction.US.value, _l("United States"))])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    claims_nature = SelectField(_l("The claims are"), default=ClaimsNature.SALES.value, choices=[
        SelectChoice(ClaimsNature.SALES.value, _l("sales of goods or services")),
        SelectChoice(ClaimsNature.RENT.value, _l("rent and charges")),
        SelectChoice(ClaimsNature.CONSUMER_CREDIT.value, _l("consumer credit"))])
    judicial_allowed = BooleanField(_l("The agency may take cases to court (with the client's approval of each)"),
                                    default=False)
    judicial_costs_advanced_by = SelectField(_l("Court and commissaire de justice fees are advanced by"),
                                             default="client", choices=[
                                                 SelectChoice("client", _l("the client")),
                                                 SelectChoice("agency", _l("the agency"))])
    judicial_fee_terms = TextAreaField(_l("The agency's fee terms for the judicial stage"),
                                       validators=[Optional(), Length(max=2000)])
    recall_fee = StringField(_l("Fee for a case the client recalls (€, excl. VAT)"), default="0")
    min_instalment = StringField(_l("Smallest instalment of a plan without asking the client (€; 0: none)"),
                                 default="0")
    min_first_payment = StringField(_l("Smallest first payment of a plan without asking the client (€; 0: none)"),
                                    default="0")
    min_part_payment = StringField(_l("Smallest part payment a debtor may choose online (€)"), default="10",
                                   description=_l("The full balance or the next instalment can always be paid."))
    card_fee_borne_by = SelectField(_l("The card payment provider's fee is borne by"), default="agency", choices=[
        SelectChoice("agency", _l("the agency (a cost its commission covers)")),
        SelectChoice("client", _l("the client (deducted from its remittances)"))])
    recall_notice_days = IntegerField(_l("Notice before a recalled case closes (days)"), default=0,
                                      validators=[Optional(), NumberRange(min=0, max=365,
                                                                          message=_l("Between %(min)s and %(max)s."))])

    def validate_fixed_fee(self, field) -> None:
        try:
            cents = parse_amount(field.data or "0")
        except AmountError as exc:
            raise ValidationError(_l("Not an amount.")) from exc
        if cents < 0:
            raise ValidationError(_l("The fee cannot be negative."))
        if cents > (limit := case_limit_cents()):
            raise ValidationError(too_large_message(limit))
        field.cents = cents

    def validate_recall_fee(self, field) -> None:
        self.validate_fixed_fee(field)

    def validate_min_instalment(self, field) -> None:
        self._minimum(field)

    def validate_min_first_payment(self, field) -> None:
        self._minimum(field)

    def validate_min_part_payment(self, field) -> None:
        self._minimum(field)
        if field.cents == 0:
            raise ValidationError(_l("At least 0,01 €: a payment of nothing is no payment."))

    @staticmethod
    def _minimum(field) -> None:
        try:
            cents = parse_amount(field.data or "0")
        except AmountError as exc:
            raise ValidationError(_l("Not an amount.")) from exc
        if cents < 0:
            raise ValidationError(_l("Cannot be negative."))
        if cents > (limit := case_limit_cents()):
            raise ValidationError(too_large_message(limit))
        field.cents = cents

    def validate_commission_bands(self, field) -> None:
        """Check each filled row: a rate, an amount, and thresholds no other row repeats."""
        seen, ok = set(), True
        for row in field.entries:
            band = row.form
            if band.is_blank():
                continue
            if band.rate.data is None:
                band.rate.errors = [*band.rate.errors, _l("Give the rate of this row.")]
                ok = False
            try:
                band.from_principal.cents = parse_amount(band.from_principal.data or "0")
            except AmountError:
                band.from_principal.errors = [*band.from_principal.errors, _l("Not an amount.")]
                ok = False
                continue
            if band.from_principal.cents < 0:
                band.from_principal.errors = [*band.from_principal.errors, _l("Cannot be negative.")]
                ok = False
            elif band.from_principal.cents > (limit := case_limit_cents()):
                band.from_principal.errors = [*band.from_principal.errors, too_large_message(limit)]
                ok = False
            key = (band.from_age_days.data or 0, band.from_principal.cents)
            if key in seen:
                band.from_age_days.errors = [*band.from_age_days.errors,
                                             _l("Another row starts at the same age and principal.")]
                ok = False
            seen.add(key)
        if not ok:
            raise ValidationError(_l("Correct the rows of the commission grid."))

    def band_values(self) -> list[dict]:
        """Return the filled rows of the commission grid as CommissionBand values."""
        return [
            {"from_age_days": row.form.from_age_days.data or 0, "from_principal_cents": row.form.from_principal.cents,
             "rate_bp": percent_to_bp(row.form.rate.data)}
            for row in self.commission_bands.entries if not row.form.is_blank()
        ]

    def values(self) -> dict:
        return {
            "reference": self.reference.data.strip(), "signed_on": self.signed_on.data,
            "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
            "commission_bp": percent_to_bp(self.commission.data), "fixed_fee_cents": self.fixed_fee.cents,
            "vat_bp": percent_to_bp(self.vat.data) or 0, "remittance_frequency": self.remittance_frequency.data,
            "remittance_delay_days": self.remittance_delay_days.data, "claims_penalties": self.claims_penalties.data,
            "claims_indemnity": self.claims_indemnity.data, "max_plan_months": self.max_plan_months.data or 12,
            "commission_bands": self.band_values(),
            "contractual_rate_bp": percent_to_bp(self.contractual_rate.data),
            "max_discount_bp": percent_to_bp(self.max_discount.data) or 0, "jurisdiction": self.jurisdiction.data,
            "notes": self.notes.data or "", "claims_nature": self.claims_nature.data,
            "judicial_allowed": self.judicial_allowed.data,
            "judicial_costs_advanced_by": self.judicial_costs_advanced_by.data,
            "judicial_fee_terms": self.judicial_fee_terms.data or "",
            "recall_fee_cents": self.recall_fee.cents, "recall_notice_days": self.recall_notice_days.data or 0,
            "min_instalment_cents": self.min_instalment.cents, "min_first_payment_cents": self.min_first_payment.cents,
            "min_part_payment_cents": self.min_part_payment.cents, "card_fee_borne_by": self.card_fee_borne_by.data,
        }


class EndMandateForm(FlaskForm):
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])


class ProfileForm(_AddressFields, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    legal_form = StringField(_l("Legal form"), validators=[Optional(), Length(max=60)])
    siren = StringField("SIREN", validators=[Optional(), Length(max=9)])
    registration = StringField(_l("Registration (RCS)"), validators=[Optional(), Length(max=120)])
    vat_number = StringField(_l("VAT number"), validators=[Optional(), Length(max=20)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)])
    trust_bank_name = StringField(_l("Trust account bank"), validators=[Optional(), Length(max=120)])
    trust_iban = StringField(_l("Trust account IBAN"), validators=[Optional(), valid_iban])
    trust_bic = StringField(_l("Trust account BIC"), validators=[Optional(), Length(max=11)])
    insurer_name = StringField(_l("Liability insurer"), validators=[Optional(), Length(max=120)])
    insurance_policy = StringField(_l("Policy number"), validators=[Optional(), Length(max=60)])
    prosecutor_declaration = StringField(_l("Declaration to the prosecutor"), validators=[Optional(), Length(max=200)])

    FIELDS = ("name", "legal_form", "siren", "registration", "vat_number", "address_line1", "address_line2",
              "postcode", "city", "country", "phone", "email", "website", "trust_bank_name", "trust_iban",
              "trust_bic", "insurer_name", "insurance_policy", "prosecutor_declaration")

    def values(self) -> dict:
        return {name: (getattr(self, name).data or "").strip() for name in self.FIELDS}
