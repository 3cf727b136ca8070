"""The dashboard's filter form, read from the query string (it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField
from wtforms.validators import Optional, ValidationError

from reports.drilldown import is_figure


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class FilterForm(Form):
    """Period, client, collector and placement of the dashboard and its lists."""

    date_from = DateField(_l("Opened from"), validators=[Optional()])
    date_to = DateField(_l("to"), validators=[Optional()])
    client = SelectField(_l("Client"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    collector = SelectField(_l("Collector"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    placement = SelectField(_l("Placement"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    figure = SelectField(_l("Figure"), default="opened", validate_choice=False)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def validate_figure(self, field: SelectField) -> None:
        if not is_figure(field.data or ""):
            raise ValidationError(_l("Unknown figure."))


def form_from_args(args) -> FilterForm:
    """Build the form from the query string, with `from` and `to` as the period's field names."""
    data = args.copy()
    for short, long in (("from", "date_from"), ("to", "date_to")):
        if short in data:
            data[long] = data.pop(short)
    for name in ("client", "collector", "placement"):
        value = data.get(name, "")
        if value and not value.isdigit():
            data[name] = ""  # a value that is not an id names nothing
    return FilterForm(data)
