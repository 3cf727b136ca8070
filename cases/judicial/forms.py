"""Forms of judicial escalation: the proposal, the decisions, a step (with an order's or title's particulars), a cost."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message
from cases.judicial import labels
from cases.judicial.costs import COST_KINDS

NOTE_MAX = 2000


def _choices(words: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in words.items()]


def cents_of(text: str | None, *, required: bool) -> int:
    """Cents typed as 150,00 (empty is 0 unless required); a ValidationError names what is wrong."""
    if not (text or "").strip():
        if required:
            raise ValidationError(_l("Give the amount."))
        return 0
    try:
        cents = parse_amount(text)
    except AmountError as exc:
        raise ValidationError(_l("Not an amount: type it as 150,00.")) from exc
    if cents < 0:
        raise ValidationError(_l("The amount cannot be negative."))
    if cents > (limit := case_limit_cents()):
        raise ValidationError(too_large_message(limit))
    return cents


class ProposeForm(FlaskForm):
    route = SelectField(_l("Route"), choices=_choices(labels.ROUTE))
    reason = TextAreaField(_l("Why (required for another route than the suggested one)"),
                           validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})


class ApproveForm(ProposeForm):
    court = StringField(_l("Court (e.g. the commercial court of Lyon)"), validators=[Optional(), Length(max=200)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})


class StepForm(FlaskForm):
    kind = SelectField(_l("Step"), choices=_choices(labels.STEP))
    occurred_on = DateField(_l("On"), validators=[DataRequired(_l("Give the step's date."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})
    internal = BooleanField(_l("Internal note (not shown to the client)"))
    # An order's or a title's particulars (order issued or partly granted, title issued).
    court = StringField(_l("Court or issuer"), validators=[Optional(), Length(max=200)])
    number = StringField(_l("Number"), validators=[Optional(), Length(max=60)])
    principal = StringField(_l("Principal awarded"), validators=[Optional()])
    interest = StringField(_l("Interest awarded to the title's date"), validators=[Optional()])
    interest_from = DateField(_l("Interest runs from"), validators=[Optional()])
    article_700 = StringField(_l("Article 700"), validators=[Optional()])
    costs = StringField(_l("Costs (dépens) awarded"), validators=[Optional()])

    def amounts(self) -> dict[str, int]:
        """The awarded amounts in cents; errors are attached to their fields."""
        found = {}
        for name in ("principal", "interest", "article_700", "costs"):
            field = getattr(self, name)
            try:
                found[name] = cents_of(field.data, required=name == "principal")
            except ValidationError as exc:
                field.errors = [*field.errors, str(exc)]
        return found


class CostForm(FlaskForm):
    kind = SelectField(_l("Cost"), choices=_choices(COST_KINDS))
    amount = StringField(_l("Amount (VAT included)"), validators=[DataRequired(_l("Give the amount."))])
    incurred_on = DateField(_l("On"), validators=[DataRequired(_l("Give the date."))])
    advanced_by = SelectField(_l("Advanced by"), choices=[SelectChoice("client", _l("the client")),
                                                                  SelectChoice("agency", _l("the agency"))])
    label = StringField(_l("Detail"), validators=[Optional(), Length(max=200)])

    def validate_amount(self, field) -> None:
        field.cents = cents_of(field.data, required=True)
        if field.cents == 0:
            raise ValidationError(_l("The amount must be above zero."))


class InsolvencyPrepareForm(FlaskForm):
    securities = TextAreaField(_l("Securities and privileges (empty: unsecured)"),
                               validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})


class InsolvencyFilingForm(FlaskForm):
    filed_on = DateField(_l("Sent to the mandataire on"), validators=[DataRequired(_l("Give the date."))])
    note = TextAreaField(_l("Note (how it was sent, proof)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 2})


class InsolvencyOutcomeForm(FlaskForm):
    status = SelectField(_l("Outcome"), choices=[
        SelectChoice("admitted", _l("admitted in full")), SelectChoice("partly_admitted", _l("partly admitted")),
        SelectChoice("disputed", _l("disputed")), SelectChoice("rejected", _l("rejected")),
        SelectChoice("dividend_paid", _l("dividend received"))])
    outcome_on = DateField(_l("On"), validators=[DataRequired(_l("Give the date."))])
    admitted = StringField(_l("Amount admitted (if partly)"), validators=[Optional()])
    dividend = StringField(_l("Dividend received"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})

    def validate_admitted(self, field) -> None:
        field.cents = cents_of(field.data, required=False)

    def validate_dividend(self, field) -> None:
        field.cents = cents_of(field.data, required=False)
