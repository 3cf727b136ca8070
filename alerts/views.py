"""Pages of the alerts: the notification area, acknowledging, and the managers' settings."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, permission_required
from agency.db import db
from agency.money import cents_to_decimal
from alerts import labels
from alerts.forms import AcknowledgeForm, SettingsForm
from alerts.inbox import OPEN, STATES, acknowledge, counts_by_kind, list_alerts, open_count
from alerts.models import SEVERITY, AlertKind, insolvency_days_of, judicial_deadline_of
from alerts.settings import SettingsError, eligible_recipients, get_settings, update_settings

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.app_context_processor
def alert_helpers() -> dict:
    return {
        "open_alert_count": lambda: open_count() if can("alerts.view") else 0,
        "alert_labels": {"kind": labels.KIND, "color": labels.KIND_COLOR, "deadline": labels.JUDICIAL_DEADLINE},
        "judicial_deadline_of": judicial_deadline_of,
        "insolvency_days_of": insolvency_days_of,
    }


@bp.get("/")
@permission_required("alerts.view")
def index():
    state = request.args.get("state", OPEN)
    state = state if state in STATES else OPEN
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in AlertKind} else ""
    alerts = list_alerts(state, kind)
    return render_template(
        "alerts/index.html", alerts=alerts, state=state, kind=kind, kinds=[k.value for k in SEVERITY],
        counts=counts_by_kind(), form=AcknowledgeForm(formdata=None, ids=",".join(str(a.id) for a in alerts)),
    )


@bp.post("/acknowledge")
@permission_required("alerts.view")
def acknowledge_alerts():
    form = AcknowledgeForm()
    back = redirect(url_for("alerts.index", kind=request.args.get("kind") or None))
    if not form.validate_on_submit():
        flash(_("Nothing acknowledged: %(reason)s", reason=_first_error(form)), "danger")
        return back
    done = acknowledge(form.alert_ids, actor=current_user)
    db.session.commit()
    if done:
        flash(ngettext("%(num)d alert acknowledged.", "%(num)d alerts acknowledged.", done), "success")
    else:
        flash(_("These alerts were already acknowledged."), "info")
    return back


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("alerts.manage")
def settings_page():
    settings = get_settings()
    form = SettingsForm()
    form.recipients.choices = [(u.id, f"{u.name} ({u.email})") for u in eligible_recipients()]
    if request.method == "GET":
        form.payment_threshold.data = format_decimal(
            cents_to_decimal(settings.payment_threshold_cents), "#,##0.00", locale=str(get_locale() or "fr")
        )
        form.digest_enabled.data = settings.digest_enabled
        form.recipients.data = list(settings.digest_recipient_ids or [])
    elif form.validate_on_submit():
        try:
            update_settings(threshold_cents=form.threshold_cents, digest_enabled=form.digest_enabled.data,
                            recipient_ids=form.recipients.data or [], actor=current_user)
        except SettingsError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Alert settings saved."), "success")
            return redirect(url_for("alerts.settings_page"))
    return render_template("alerts/settings.html", form=form), 200 if request.method == "GET" or not form.errors else 400


def _first_error(form: AcknowledgeForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("the form has expired: reload the page.")
