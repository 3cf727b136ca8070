"""What the case screen's messaging panel shows: per channel, the allowed recipients, previews, recent messages."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from agency.db import db
from agency.mail import smtp_enabled
from agency.message_models import EmailMessage, SmsMessage
from agency.sms import twilio_enabled
from cases.messaging.delivery import GAVE_UP, can_retry, max_attempts
from cases.messaging.forms import SendMessageForm
from cases.messaging.sending import contact_options
from cases.messaging.templates import (
    CHANNELS,
    MessageError,
    RenderedMessage,
    available_templates,
    render_message,
    template_label,
)
from cases.models import Action, Case
from debtors.compliance import Verdict
from debtors.contacts import format_phone
from debtors.models import ContactPoint

TITLES = {"sms": _l("SMS"), "email": _l("E-mail")}
# Refusals that concern one number or address, listed under the form; the others concern the debtor. When
# every point is refused for its own reason, the one named is the one that says most: a mobile that opted
# out, rather than the landline beside it that cannot take a text anyway.
POINT_REASONS = ("opted_out", "wrong_contact", "not_mobile")
RECENT = 5
# A message's state as collectors read it (SMS and e-mail rows, and actions refused before sending).
STATUS_LABELS = {
    "outbox": _l("not sent (outbox)"),
    "sending": _l("being sent"),
    "queued": _l("queued"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "undelivered": _l("undelivered"),
    "failed": _l("failed"),
    "bounced": _l("bounced"),
    "received": _l("received"),
    "blocked": _l("blocked"),
}
STATUS_COLORS = {
    "outbox": "secondary",
    "sending": "light",
    "queued": "light",
    "sent": "primary",
    "delivered": "success",
    "undelivered": "danger",
    "failed": "danger",
    "bounced": "danger",
    "received": "info",
    "blocked": "warning",
}


@dataclass
class ChannelPanel:
    channel: str
    title: str
    form: SendMessageForm
    options: list[tuple[ContactPoint, Verdict]]
    previews: list[RenderedMessage] = field(default_factory=list)
    recent: list[RecentMessage] = field(default_factory=list)
    provider_ready: bool = True  # Twilio or SMTP configured; otherwise messages stay in the outbox

    @property
    def allowed(self) -> list[ContactPoint]:
        return [cp for cp, verdict in self.options if verdict.allowed]

    @property
    def refused(self) -> list[tuple[ContactPoint, Verdict]]:
        return [(cp, verdict) for cp, verdict in self.options if not verdict.allowed]

    @property
    def refused_points(self) -> list[tuple[ContactPoint, Verdict]]:
        """Return the points refused for a reason of their own (opted out, wrong, landline), not the hour or a hold."""
        return [(cp, verdict) for cp, verdict in self.refused if verdict.reason in POINT_REASONS]

    @property
    def show_form(self) -> bool:
        """Tell whether to offer the templates: yes unless nothing may be sent before something changes."""
        blocked = self.blocked
        return bool(self.form.template.choices) and (blocked is None or blocked.next_allowed_at is not None)

    @property
    def blocked(self) -> Verdict | None:
        """The reason nothing can be sent now, shown instead of the form."""
        if self.allowed:
            return None
        # A reason that holds for every point (a hold, the hour) says more than one point's own refusal.
        general = [verdict for _cp, verdict in self.refused if verdict.reason not in POINT_REASONS]
        if general:
            return general[0]
        if self.refused:
            return min((verdict for _cp, verdict in self.refused), key=lambda v: POINT_REASONS.index(v.reason))
        return Verdict(False, "no_contact_point", str(_l("No contact point for this channel.")))


def contact_label(contact_point: ContactPoint) -> str:
    """Write a phone or an address as the collector picks it."""
    text = format_phone(contact_point.value) if contact_point.kind == "phone" else contact_point.value
    return f"{text} ({contact_point.label})" if contact_point.label else text


def send_form(case: Case, channel: str, options: list[tuple[ContactPoint, Verdict]] | None = None) -> SendMessageForm:
    """Return the send form of a channel, its choices limited to the templates and points allowed now."""
    options = contact_options(case, channel) if options is None else options
    form = SendMessageForm(prefix=channel)
    form.template.choices = [SelectChoice(n, template_label(n)) for n in available_templates(case, channel)]
    form.contact_point_id.choices = [SelectChoice(cp.id, contact_label(cp)) for cp, v in options if v.allowed]
    return form


def channel_panel(case: Case, channel: str) -> ChannelPanel:
    """Gather one channel's part of the panel."""
    options = contact_options(case, channel)
    panel = ChannelPanel(
        channel=channel,
        title=str(TITLES[channel]),
        form=send_form(case, channel, options),
        options=options,
        provider_ready=twilio_enabled() if channel == "sms" else smtp_enabled(),
    )
    first = panel.allowed[0] if panel.allowed else None
    for name in available_templates(case, channel):
        try:
            panel.previews.append(render_message(case, channel, name, contact_point=first))
        except MessageError:
            continue
    panel.recent = recent_messages(case, channel)
    return panel


def messaging_panel(case: Case) -> list[ChannelPanel]:
    """Return the panel's channels, SMS first."""
    return [channel_panel(case, channel) for channel in CHANNELS]


def recent_messages(case: Case, channel: str) -> list[RecentMessage]:
    """Return the case's last messages of a channel, sent, received or blocked, with their delivery rows."""
    actions = db.session.scalars(
        sa.select(Action).where(Action.case_id == case.id, Action.kind == channel).order_by(Action.id.desc()).limit(RECENT)
    ).all()
    model, link = (SmsMessage, "sms_message_id") if channel == "sms" else (EmailMessage, "email_message_id")
    ids = [getattr(a, link) for a in actions if getattr(a, link)]
    rows = {r.id: r for r in db.session.scalars(sa.select(model).where(model.id.in_(ids)))} if ids else {}
    return [RecentMessage(a, rows.get(getattr(a, link))) for a in actions]


@dataclass(frozen=True)
class RecentMessage:
    action: Action
    row: SmsMessage | EmailMessage | None

    @property
    def state(self) -> str:
        """Return the message's state: refused before sending, else its delivery status."""
        if self.action.status in ("blocked", "failed") and (self.row is None or self.row.status == "outbox"):
            return self.action.status
        return self.row.status if self.row is not None else self.action.status

    @property
    def retryable(self) -> bool:
        """Tell whether staff may send it again (an SMS Twilio never answered for)."""
        return isinstance(self.row, SmsMessage) and can_retry(self.row, self.action)

    @property
    def problem(self) -> str:
        """Say why a message failed, for the collector: Twilio's silence in words, else the provider's error."""
        if self.state not in ("failed", "undelivered", "bounced") or self.row is None:
            return ""
        if self.action.reason == GAVE_UP:
            return _("Twilio did not answer after %(count)s attempts.", count=min(self.row.attempts, max_attempts()))
        return self.row.error

    @property
    def inbound(self) -> bool:
        return self.action.direction == "inbound"

    @property
    def counterpart(self) -> str:
        """Return the number or address written to, or received from."""
        if isinstance(self.row, SmsMessage):
            return format_phone(self.row.from_number if self.inbound else self.row.to_number)
        return self.row.to_address if isinstance(self.row, EmailMessage) else ""


def outbox_emails(limit: int = 200) -> list[EmailMessage]:
    """Return the latest e-mails, for the outbox page."""
    return list(db.session.scalars(sa.select(EmailMessage).order_by(EmailMessage.id.desc()).limit(limit)))
