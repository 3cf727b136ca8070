"""The agency's retention setting: how many years a debtor's identity is kept after their cases closed."""

from __future__ import annotations

from flask_babel import gettext as _

from agency import audit
from agency.db import db
from agency.models import User
from money.models.personal_data import (
    DEFAULT_RETENTION_YEARS,
    MAX_RETENTION_YEARS,
    MIN_RETENTION_YEARS,
    PersonalDataSettings,
)


class SettingsError(ValueError):
    """Settings refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def get_settings() -> PersonalDataSettings:
    """Return the settings, the defaults when nobody has saved any (not added to the session)."""
    return db.session.get(PersonalDataSettings, 1) or PersonalDataSettings(
        id=1, retention_years=DEFAULT_RETENTION_YEARS)


def update_settings(*, retention_years: int, actor: User) -> PersonalDataSettings:
    """Check and store the retention, and audit the change; the next nightly run applies it."""
    if not MIN_RETENTION_YEARS <= retention_years <= MAX_RETENTION_YEARS:
        raise SettingsError(_("The retention is between %(low)s and %(high)s years: below 5 years, check that no "
                              "claim can still be demanded.", low=MIN_RETENTION_YEARS, high=MAX_RETENTION_YEARS),
                            "retention_years")
    settings = db.session.get(PersonalDataSettings, 1)
    if settings is None:
        settings = get_settings()
        db.session.add(settings)
    before, after = audit.changes(settings, retention_years=retention_years)
    settings.updated_by_id = actor.id
    audit.record("personal_data.settings_changed", actor=actor, subject=settings, before=before, after=after)
    return settings
