"""Forms of plans: the schedule (worked out from a total, then adjusted), the client's decision, a cancellation."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message
from cases.work.forms import InstalmentForm
from money.plans.plans import DEFAULT_GRACE_DAYS, MAX_INSTALMENTS

NOTE_MAX = 2000


def _amount(form, field: StringField) -> None:
    try:
        cents = parse_amount(field.data or "")
    except AmountError as exc:
        raise ValidationError(_l("Not an amount: type it as 150,00.")) from exc
    if cents <= 0:
        raise ValidationError(_l("The amount must be positive."))
    if cents > (limit := case_limit_cents()):
        raise ValidationError(too_large_message(limit))


def amount_text(cents: int) -> str:
    """Return cents as an input field shows them (1234,56)."""
    return f"{cents // 100},{cents % 100:02d}"


class PlanForm(FlaskForm):
    """The plan agreed with the debtor: a total split into instalments, shown before it is agreed."""

    total = StringField(_l("Total agreed"), validators=[DataRequired(_l("Give the total.")), _amount],
                        render_kw={"inputmode": "decimal"})
    count = IntegerField(_l("Number of instalments"), default=3, validators=[
        InputRequired(_l("Give the number of instalments.")),
        NumberRange(1, MAX_INSTALMENTS, _l("Between 1 and %(max)d.", max=MAX_INSTALMENTS))])
    first_due = DateField(_l("First instalment on"), validators=[InputRequired(_l("Give the date."))])
    every = SelectField(_l("Frequency"), choices=[SelectChoice("month", _l("every month")),
                                                       SelectChoice("week", _l("every week"))])
    grace_days = IntegerField(_l("Grace days"), default=DEFAULT_GRACE_DAYS, validators=[
        InputRequired(_l("Give the grace days.")), NumberRange(0, 60, _l("Between 0 and 60."))])
    instalments = FieldList(FormField(InstalmentForm), min_entries=0, max_entries=MAX_INSTALMENTS)
    show = SubmitField(_l("Show the schedule"))
    agree = SubmitField(_l("Agree the plan"))

    def total_cents(self) -> int:
        return parse_amount(self.total.data)

    def schedule(self) -> list[tuple[date, int]] | None:
        """Return the filled lines as (date, cents), or None after marking the half-filled ones."""
        result, complete = [], True
        for entry in self.instalments:
            amount, due_on = entry.form.amount, entry.form.due_on
            if not (amount.data or "").strip() and due_on.data is None and not due_on.errors:
                continue
            if amount.errors or due_on.errors:
                complete = False
            elif not (amount.data or "").strip():
                amount.errors.append(_l("Give the amount."))
                complete = False
            elif due_on.data is None:
                due_on.errors.append(_l("Give the date."))
                complete = False
            else:
                result.append((due_on.data, parse_amount(amount.data)))
        return result if complete else None

    def fill_schedule(self, schedule: list[tuple[date, int]]) -> None:
        """Replace the lines with `schedule`, for the user to check or adjust."""
        while self.instalments.entries:
            self.instalments.pop_entry()
        for due_on, cents in schedule:
            entry = self.instalments.append_entry()
            entry.form.amount.data, entry.form.due_on.data = amount_text(cents), due_on


class DecisionForm(FlaskForm):
    """The client's approval (note optional) or refusal (note required) of a plan."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is it cancelled?"), validators=[
        DataRequired(_l("Reason: say why the plan is cancelled.")), Length(max=NOTE_MAX)], render_kw={"rows": 2})
