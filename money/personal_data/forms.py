"""Forms of the personal data pages: the export button, the erasure with its reason, the retention setting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from money.models.personal_data import MAX_RETENTION_YEARS, MIN_RETENTION_YEARS


class ExportForm(FlaskForm):
    """Carries only the CSRF token of the export button (an export is audited: a POST, never a link)."""


class ErasureForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the erasure"), validators=[DataRequired(), Length(max=1000)],
                           render_kw={"rows": 2},
                           description=_l("For example: the person's request of 3 March, received by post."))


class RetentionForm(FlaskForm):
    retention_years = IntegerField(
        _l("Years a debtor's data is kept after their last case closed"),
        validators=[InputRequired(), NumberRange(min=MIN_RETENTION_YEARS, max=MAX_RETENTION_YEARS)],
        description=_l("Five years is the limitation of most claims. Amounts and the ledger are kept whatever "
                       "the setting; only names, contact details, free texts and documents are removed."),
    )
