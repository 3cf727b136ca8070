"""The audit screen's search form, read from the query string (it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError


def _optional_int(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AuditSearchForm(Form):
    """Case, debtor, user, kind of event and period; any of them, or none (the latest events)."""

    case = StringField(_l("Case"), filters=[_strip], validators=[Optional(), Length(max=24)])
    debtor = StringField(_l("Debtor"), filters=[_strip], validators=[Optional(), Length(max=20)],
                         description=_l("Its number or SIREN"))
    actor = SelectField(_l("User"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    kind = StringField(_l("Kind of event"), filters=[_strip], validators=[Optional(), Length(max=65)],
                       description=_l("case.closed, or case.* for every event of cases"))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("to"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def validate_debtor(self, field: StringField) -> None:
        if field.data and not field.data.replace(" ", "").isdigit():
            raise ValidationError(_l("Give the debtor's number or SIREN (digits only)."))
