"""Forms of remittances: a run for a period, the payment of a statement."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class RunForm(FlaskForm):
    period_end = DateField(_l("Period ending on"),
                           validators=[DataRequired(message=_l("Give the last day of the period."))])
    # Choices are the clients, filled by the view; empty = every client with money to remit.
    client_id = SelectField(_l("Client"), coerce=lambda v: int(v) if v else None, validators=[Optional()],
                            validate_choice=True)


class MarkPaidForm(FlaskForm):
    paid_on = DateField(_l("Transfer made on"),
                        validators=[DataRequired(message=_l("Give the date of the transfer."))])
    reference = StringField(_l("Bank reference of the transfer"),
                            validators=[DataRequired(message=_l("Give the bank reference of the transfer.")),
                                        Length(max=100)])
