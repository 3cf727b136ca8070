"""Forms of the client's side of closing: a recall, a credit note, the answer to an upheld dispute."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

# Lengths and amounts are checked by the operations, which name the field at fault.


class RecallForm(FlaskForm):
    reason = TextAreaField(_l("Why do you recall the case?"), render_kw={"rows": 2})
    judicial_confirmed = BooleanField(_l("I understand that the judicial proceeding stops and that the costs "
                                         "already advanced stay as the mandate agreed."))


class CreditNoteForm(FlaskForm):
    claim = SelectField(_l("Invoice"), choices=[], validate_choice=False, coerce=str)
    amount = StringField(_l("Amount of the credit note (€)"))
    reference = StringField(_l("Credit note reference"))
    issued_on = DateField(_l("Credit note date"), validators=[Optional()])


class DecisionForm(FlaskForm):
    choice = RadioField(_l("Your decision"), validate_choice=False, choices=[
        SelectChoice("withdrawn", _l("Withdraw the claim: the case is closed")),
        SelectChoice("maintained", _l("Maintain the claim: collection resumes"))])
    reason = TextAreaField(_l("Your reason (required to maintain the claim)"), render_kw={"rows": 2})
