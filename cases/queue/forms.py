"""Forms of the work queue: reassigning a case, moving cases between pools, teams and their members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional


class ButtonForm(FlaskForm):
    """Carries only the CSRF token of the Next button and of the lease ping."""


class LeaseForm(FlaskForm):
    """Finish and Release: the lease they end (its token, empty for a page drawn without one)."""

    lease = HiddenField(validators=[Length(max=32)])
    then_next = HiddenField()  # "1": "Finish and next case"


class AssignForm(FlaskForm):
    # "user:<id>" or "team:<id>", grouped under Collectors and Pools.
    target = SelectField(_l("Put this case in"), validators=[DataRequired()])
    submit = SubmitField(_l("Reassign"))


class MoveForm(FlaskForm):
    client_id = SelectField(_l("Client"), coerce=int, validators=[Optional()])
    from_pool = SelectField(_l("Now in"))
    references = TextAreaField(_l("Only these cases (references)"), validators=[Optional(), Length(max=100_000)])
    include_assigned = BooleanField(_l("Also take cases away from their collector"))
    to_team = SelectField(_l("Move to the pool of"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Move cases"))


class TeamForm(FlaskForm):
    name = StringField(_l("New team"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Create team"))


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Collector"), coerce=int, validators=[DataRequired()])
    team_ids = SelectMultipleField(_l("Teams"), coerce=int)  # none ticked: in no team
    submit = SubmitField(_l("Save teams"))
