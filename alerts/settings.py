"""The alert settings: the payment threshold and who gets the daily digest."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.auth import MANAGERS
from agency.db import db
from agency.models import User
from alerts.models import AlertSettings


class SettingsError(ValueError):
    """Settings refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def get_settings() -> AlertSettings:
    """Return the agency's alert settings, the defaults when nobody has saved any (not added to the session)."""
    return db.session.get(AlertSettings, 1) or AlertSettings(
        id=1, payment_threshold_cents=AlertSettings.payment_threshold_cents.default.arg,
        digest_enabled=False, digest_recipient_ids=[],
    )


def eligible_recipients() -> list[User]:
    """Return the active managers and administrators, who alone may receive the digest."""
    return db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.role.in_([r.value for r in MANAGERS])).order_by(User.name)
    ).all()


def update_settings(*, threshold_cents: int, digest_enabled: bool, recipient_ids: list[int], actor: User) -> AlertSettings:
    """Check and store the settings, and audit what changed."""
    if threshold_cents <= 0:
        raise SettingsError(_("The payment threshold must be above zero."), "payment_threshold")
    allowed = {u.id for u in eligible_recipients()}
    unknown = [i for i in recipient_ids if i not in allowed]
    if unknown:
        raise SettingsError(_("Digest recipients must be active managers or administrators."), "recipients")
    if digest_enabled and not recipient_ids:
        raise SettingsError(_("Choose at least one recipient to turn the digest on."), "recipients")
    settings = db.session.get(AlertSettings, 1)
    if settings is None:
        settings = get_settings()
        db.session.add(settings)
    before, after = audit.changes(
        settings, payment_threshold_cents=threshold_cents, digest_enabled=digest_enabled,
        digest_recipient_ids=sorted(set(recipient_ids)),
    )
    settings.updated_by_id = actor.id
    audit.record("alerts.settings_changed", actor=actor, subject=settings, before=before, after=after)
    return settings
