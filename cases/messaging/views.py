"""Pages of cases.messaging: sending from the case screen, the unsubscribe page (the debtor's space is debtor_space)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required
from agency.db import db
from agency.mail import smtp_enabled
from agency.message_models import EmailMessage, SmsMessage
from agency.models import AgencyProfile
from cases.messaging import panel
from cases.messaging.delivery import RetryRefused, case_sms, retry_sms
from cases.messaging.email import send_case_email, unsubscribe
from cases.messaging.forms import UnsubscribeForm
from cases.messaging.links import UNSUBSCRIBE, read_id
from cases.messaging.sms import send_case_sms
from cases.messaging.templates import CHANNELS, MessageError
from cases.models import Action, ActionStatus, Case
from debtors.models import ContactKind, ContactPoint

bp = Blueprint("messaging", __name__)
SENDERS = {"sms": send_case_sms, "email": send_case_email}


@bp.app_context_processor
def _messaging_helpers() -> dict:
    # The case screen's panel and the outbox page call these; the views that render them stay unaware.
    return {
        "messaging_panel": panel.messaging_panel,
        "outbox_emails": panel.outbox_emails,
        "smtp_enabled": smtp_enabled,
        "message_status": {"label": panel.STATUS_LABELS, "color": panel.STATUS_COLORS},
    }


@bp.post("/cases/<int:case_id>/messages/<channel>")
@permission_required("actions.record")
def send(case_id: int, channel: str):
    case = get_scoped_or_404(Case, case_id)
    if channel not in CHANNELS:
        abort(404)
    back = url_for("cases.show", case_id=case.id)  # at the top, where the outcome is flashed
    form = panel.send_form(case, channel)
    if not form.validate_on_submit():
        flash(_("Choose a template and a recipient allowed now; nothing was sent."), "danger")
        return redirect(back)
    point = db.session.get(ContactPoint, form.contact_point_id.data)
    try:
        action = SENDERS[channel](case, form.template.data, actor=current_user, contact_point=point)
    except MessageError as exc:
        flash(_("This message cannot be written for this case: %(error)s", error=str(exc)), "danger")
        return redirect(back)
    db.session.commit()
    flash(*_outcome_message(action, channel))
    return redirect(back)


@bp.post("/cases/<int:case_id>/sms/<int:message_id>/retry")
@permission_required("actions.record")
def retry(case_id: int, message_id: int):
    """Send again an SMS that failed because Twilio never answered (the button beside it)."""
    case = get_scoped_or_404(Case, case_id)
    found = case_sms(case, message_id)
    if found is None:
        abort(404)
    message, action = found
    back = url_for("cases.show", case_id=case.id)
    try:
        retry_sms(case, message, action, actor=current_user)
    except RetryRefused as exc:
        flash(str(exc), "warning")
        return redirect(back)
    db.session.commit()
    flash(*_outcome_message(action, "sms"))
    return redirect(back)


def _outcome_message(action: Action, channel: str) -> tuple[str, str]:
    label = _("SMS") if channel == "sms" else _("E-mail")
    if action.status == ActionStatus.BLOCKED:
        return _("%(channel)s not sent: %(reason)s", channel=label, reason=action.note), "warning"
    if action.status == ActionStatus.FAILED:
        return _("%(channel)s could not be sent: %(reason)s", channel=label, reason=_delivery_error(action)), "danger"
    if action.outcome == "sending":
        return _("%(channel)s being sent.", channel=label), "success"
    if action.outcome == "outbox":
        return _("%(channel)s kept in the outbox: no provider is configured, so it was not sent.",
                 channel=label), "info"
    return _("%(channel)s sent.", channel=label), "success"


def _delivery_error(action: Action) -> str:
    row = (db.session.get(SmsMessage, action.sms_message_id) if action.sms_message_id
           else db.session.get(EmailMessage, action.email_message_id))
    return row.error if row is not None else ""


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token: str):
    """Confirm, then stop e-mails to the address the link was sent to."""
    point_id = read_id(UNSUBSCRIBE, token)
    point = db.session.get(ContactPoint, point_id) if point_id is not None else None
    if point is None or point.kind != ContactKind.EMAIL:
        abort(404)
    form = UnsubscribeForm()
    with force_locale(_debtor_language(point.debtor.language)):
        if form.validate_on_submit():
            unsubscribe(point)
            db.session.commit()
            flash(_("Done: this address will receive no more e-mails from us."), "success")
            return redirect(url_for("messaging.unsubscribe_page", token=token))
        return render_template(
            "cases/messaging/unsubscribe.html",
            form=form,
            address=mask_address(point.value),
            done=point.opted_out_at is not None,
            agency=db.session.get(AgencyProfile, 1),
        )


def mask_address(address: str) -> str:
    """Show enough of an address for its owner to recognise it, not enough to read it off a shared link."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 3)}@{domain}"


def _debtor_language(language: str) -> str:
    return language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
