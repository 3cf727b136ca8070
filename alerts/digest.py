"""The daily e-mail digest: the open alerts not yet sent, to the managers chosen in the settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app

from agency import audit
from agency.db import db, utcnow
from agency.mail import send_email
from agency.message_models import EmailMessage
from agency.models import User
from agency.money import format_money
from alerts.inbox import is_open
from alerts.models import Alert, severity_order
from alerts.settings import eligible_recipients, get_settings
from cases.messaging.links import public_url

# Not `.txt`: the debtor message templates are every `*.txt` of templates/email/<lang>/.
TEMPLATE = "email/{language}/alerts_digest.txt.jinja"


def digest_recipients() -> list[User]:
    """Return the managers who get the digest: those chosen, still active managers or administrators."""
    chosen = set(get_settings().digest_recipient_ids or [])
    return [user for user in eligible_recipients() if user.id in chosen]


def pending_alerts() -> list[Alert]:
    """Return the open alerts no digest has carried yet, most serious kinds first, then by the day of the event."""
    return db.session.scalars(
        sa.select(Alert).where(is_open(), Alert.digested_at.is_(None))
        .order_by(severity_order(), Alert.occurred_on, Alert.id)
    ).all()


def send_digest(*, now: datetime | None = None) -> list[EmailMessage]:
    """E-mail the pending alerts to each recipient, then mark them sent; nothing when off or nothing new."""
    if not get_settings().digest_enabled:
        return []
    recipients, alerts = digest_recipients(), pending_alerts()
    if not recipients or not alerts:
        return []
    sent = []
    for user in recipients:
        subject, body = render_digest(alerts, _language(user))
        sent.append(send_email(user.email, subject, body))
    now = now or utcnow()
    db.session.execute(
        sa.update(Alert).where(Alert.id.in_([a.id for a in alerts])).values(digested_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record("alerts.digest_sent", actor=None, subject_type="alert", after={
        "alerts": len(alerts), "recipients": ",".join(u.email for u in recipients),
        "emails": ",".join(str(m.id) for m in sent if m.id is not None),
    })
    return sent


def render_digest(alerts: list[Alert], language: str) -> tuple[str, str]:
    """Return the digest's subject and body in `language`."""
    items = [_item(alert, language) for alert in alerts]
    text = current_app.jinja_env.get_template(TEMPLATE.format(language=language)).render(
        items=items, count=len(items), page=public_url("alerts.index"),
        settings=public_url("alerts.settings_page"),
    )
    first, _sep, rest = text.strip().partition("\n")
    return first.removeprefix("Subject:").strip(), rest.strip() + "\n"


def _item(alert: Alert, language: str) -> dict:
    if alert.placement_id is not None:
        reference, link = f"#{alert.placement_id}", public_url("placements.show", placement_id=alert.placement_id)
    elif alert.team_id is not None:
        reference, link = alert.team.name, public_url("queue.board_page")
    else:
        reference, link = alert.case.reference, public_url("cases.show", case_id=alert.case_id)
    return {
        "kind": alert.kind,
        "reference": reference,
        "client": alert.client.name if alert.client else "",
        "amount": format_money(alert.amount_cents, alert.currency, locale=language) if alert.amount_cents else "",
        "date": format_date(alert.occurred_on, "long", locale=language),
        "link": link,
    }


def _language(user: User) -> str:
    language = (user.locale or "")[:2]
    return language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
