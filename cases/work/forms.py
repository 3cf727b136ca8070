"""Forms of collector actions: a call and its outcome, a promise in instalments, a callback, a dispute."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from agency.money import AmountError, case_limit_cents, parse_amount, too_large_message
from cases.labels import OUTCOME
from cases.models import CallOutcome
from cases.work.promises import MAX_INSTALMENTS, Instalment

NOTE_MAX = 2000


def _amount(form: Form, field: StringField) -> None:
    if field.data and field.data.strip():
        try:
            cents = parse_amount(field.data)
        except AmountError as exc:
            raise ValidationError(_l("Not an amount: type it as 150,00.")) from exc
        if cents > (limit := case_limit_cents()):
            raise ValidationError(too_large_message(limit))


class InstalmentForm(Form):
    """One line of a promise: an amount and its date."""

    amount = StringField(_l("Amount"), validators=[Optional(), _amount], render_kw={"inputmode": "decimal"})
    due_on = DateField(_l("Date"), validators=[Optional()])


class InstalmentsMixin:
    """The instalments of a promise, as many lines as the collector adds."""

    instalments = FieldList(FormField(InstalmentForm), min_entries=1, max_entries=MAX_INSTALMENTS)

    def parsed_instalments(self) -> list[Instalment] | None:
        """Return the filled lines as instalments, or None after marking the half-filled ones."""
        result, complete = [], True
        for entry in self.instalments:
            amount, due_on = entry.form.amount, entry.form.due_on
            if not (amount.data or "").strip() and due_on.data is None and not due_on.errors:
                continue  # an empty line: ignored
            if amount.errors or due_on.errors:
                complete = False
            elif not (amount.data or "").strip():
                amount.errors.append(_l("Give the amount."))
                complete = False
            elif due_on.data is None:
                due_on.errors.append(_l("Give the date."))
                complete = False
            else:
                result.append(Instalment(parse_amount(amount.data), due_on.data))
        return result if complete else None


class CallForm(InstalmentsMixin, FlaskForm):
    contact_point_id = SelectField(_l("Number called"), coerce=int, validators=[Optional()])
    incoming = BooleanField(_l("Incoming call: the debtor called us"))
    outcome = SelectField(
        _l("Outcome"),
        choices=[SelectChoice("", _l("Choose the outcome…"))]
        + [SelectChoice(o.value, OUTCOME[o.value]) for o in CallOutcome],
        validators=[InputRequired(_l("Choose the outcome of the call."))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX)], render_kw={"rows": 2})
    dialled_at = HiddenField()
    dispute_reason = TextAreaField(
        _l("What the debtor disputes"), validators=[Length(max=NOTE_MAX)], render_kw={"rows": 2}
    )
    callback_at = DateTimeLocalField(_l("Call back on"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    submit = SubmitField(_l("Record the call"))

    def validate_outcome(self, field: SelectField) -> None:
        if field.data and field.data not in {o.value for o in CallOutcome}:
            raise ValidationError(_l("Choose the outcome of the call."))

    def dialled_time(self) -> datetime | None:
        """Return when the number was dialled, as the page noted it (UTC), if it is readable."""
        try:
            value = datetime.fromisoformat(self.dialled_at.data or "")
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class PromiseForm(InstalmentsMixin, FlaskForm):
    action_id = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    submit = SubmitField(_l("Record the promise"))


class CallbackForm(FlaskForm):
    callback_at = DateTimeLocalField(
        _l("Call back on"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Give the date and time."))]
    )
    submit = SubmitField(_l("Set the callback"))


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("What the debtor disputes"),
        validators=[DataRequired(_l("Say what the debtor disputes.")), Length(max=NOTE_MAX)],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Open the dispute"))


class ResolveDisputeForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("rejected", _l("Rejected: the debt stands, collection resumes")),
                 SelectChoice("upheld", _l("Upheld: the case will be closed or credited"))],
        validators=[InputRequired(_l("Choose the decision."))],
    )
    resolution = TextAreaField(
        _l("Resolution"),
        validators=[DataRequired(_l("Say how the dispute was resolved.")), Length(max=NOTE_MAX)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Resolve the dispute"))


def local_to_utc(naive: datetime | None, timezone: str) -> datetime | None:
    """Read a date-time typed as the debtor's wall-clock time and return it in UTC."""
    if naive is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Paris")
    return naive.replace(tzinfo=zone).astimezone(UTC)
