"""Managers' list of judicial cases by next deadline, and the admins' page of the law's figures."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from agency.auth import permission_required
from agency.clock import today
from agency.db import db
from agency.models import User
from agency.money import format_money
from cases.judicial import board, labels, settings
from cases.judicial.admin_forms import SettingForm
from cases.models import Route

bp = Blueprint("judicial_admin", __name__)

UNIT_HINT = {
    "cents": _l("in euros, such as 33,47"),
    "bp": _l("in percentage points, such as 5 or 4,5"),
    "months": _l("in whole months"),
    "years": _l("in whole years"),
    "days": _l("in days"),
    "days_list": _l("days before, separated by commas, such as 30,7,1"),
    "text": _l("as written on the form"),
}


@bp.get("/judicial")
@permission_required("judicial.list")
def index():
    args = request.args
    filters = board.BoardFilters.of(args.get("client", type=int), args.get("route", ""), args.get("stage", ""))
    page = board.open_proceedings(filters, page=args.get("page", 1, type=int))
    return render_template("cases/judicial/list.html", page=page, filters=filters, on=today(),
                           clients=board.clients_with_proceedings(), routes=list(Route),
                           stages=board.OPEN_STAGES, judicial_labels=labels)


@bp.route("/admin/judicial-settings", methods=["GET", "POST"])
@permission_required("judicial.settings")
def settings_page():
    form = SettingForm()
    if request.method == "GET" and request.args.get("key") in settings.BY_KEY:
        form.key.data = request.args["key"]
    if form.validate_on_submit():
        try:
            row = settings.add_value(form.key.data, form.value.data, form.valid_from.data,
                                     source=form.source.data or "", actor=current_user)
        except settings.SettingError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.value).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("New value of “%(figure)s” recorded from %(date)s. Deadlines already recorded on steps keep "
                    "their dates.", figure=settings.BY_KEY[row.key].label, date=row.valid_from.strftime("%d/%m/%Y")),
                  "success")
            return redirect(url_for("judicial_admin.settings_page"))
    return _settings_page(form), 400 if form.is_submitted() else 200


def _settings_page(form: SettingForm) -> str:
    history = settings.history()
    on = today()
    in_force = {key: next((row for row in rows if row.valid_from <= on), None) for key, rows in history.items()}
    author_ids = {row.created_by_id for rows in history.values() for row in rows if row.created_by_id}
    authors = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(author_ids))).all()) \
        if author_ids else {}
    return render_template("cases/judicial/settings.html", form=form, figures=settings.FIGURES, history=history,
                           in_force=in_force, authors=authors, shown=shown, unit_hint=UNIT_HINT, on=on,
                           far_past=settings.FAR_PAST)


def shown(unit: str, value: str) -> str:
    """A figure's stored value as staff read it: euros, points, months, days."""
    locale = str(get_locale() or "fr")
    if unit == "cents":
        return format_money(int(value), "EUR", locale=locale)
    if unit == "bp":
        return _("%(points)s points", points=format_decimal(Decimal(int(value)) / 100, "#,##0.##", locale=locale))
    if unit == "months":
        return ngettext("%(num)d month", "%(num)d months", int(value))
    if unit == "years":
        return ngettext("%(num)d year", "%(num)d years", int(value))
    if unit == "days_list":
        return _("%(days)s days before", days=value.replace(",", ", "))
    return value
