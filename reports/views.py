"""Pages of reports: the dashboard, the cases behind each figure, and their CSV and XLSX exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from agency.auth import permission_required, scoped
from agency.clock import today
from agency.db import db, utcnow
from agency.models import Client, Role, User
from cases.placement.models import Placement, PlacementStatus
from reports import labels
from reports.charts import Bar, Series, bar_chart, line_chart
from reports.dashboard import Dashboard, dashboard
from reports.drilldown import CHANNEL_PREFIX, CLOSED_PREFIX, case_page, case_rows, title_of
from reports.exports import columns, rows_csv, rows_xlsx
from reports.filters import Filters, filters_for
from reports.forms import form_from_args
from reports.jobs import request_refresh
from reports.web import download

bp = Blueprint("reports", __name__, url_prefix="/reports")

PAGE_SIZE = 100


@bp.context_processor
def _helpers() -> dict:
    return {"percent": labels.percent, "days": labels.days, "channel_label": labels.channel, "step_label": labels.step,
            "closed_prefix": CLOSED_PREFIX}


def _filters() -> tuple:
    form = form_from_args(request.args)
    form.validate()
    return form, filters_for(form, current_user, today())


@bp.get("")
@permission_required("reports.view")
def index():
    form, filters = _filters()
    figures = dashboard(filters, today())
    return render_template("reports/index.html", form=form, filters=filters, d=figures, choices=_choices(),
                           charts=_charts(figures), staff=current_user.is_staff, refresh_form=FlaskForm(),
                           reasons=labels.closing_reasons(r.reason for r in figures.closed_by_reason))


@bp.post("/refresh")
@permission_required("reports.refresh")
def refresh():
    if FlaskForm().validate_on_submit():
        request_refresh(current_user)
        db.session.commit()
        flash(_("The figures are being recomputed from the ledger and the action history."), "success")
    return redirect(url_for("reports.index", **request.args))


@bp.get("/cases")
@permission_required("reports.view")
def cases():
    form, filters = _filters()
    figure = form.figure.data if not form.figure.errors else "opened"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total, shown = case_page(filters, figure, page, PAGE_SIZE)
    return render_template("reports/cases.html", form=form, filters=filters, figure=figure, title=title_of(figure),
                           as_of=utcnow(), rows=shown, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           staff=current_user.is_staff, columns=columns(current_user.is_staff),
                           choices=_choices())


@bp.get("/cases.csv")
@permission_required("reports.view")
def cases_csv():
    form, filters = _filters()
    figure = form.figure.data if not form.figure.errors else "opened"
    body = rows_csv(case_rows(filters, figure), current_user.is_staff)
    return download(body, _file_name(figure, filters, "csv"), "text/csv; charset=utf-8")


@bp.get("/cases.xlsx")
@permission_required("reports.view")
def cases_xlsx():
    form, filters = _filters()
    figure = form.figure.data if not form.figure.errors else "opened"
    body = rows_xlsx(case_rows(filters, figure), current_user.is_staff)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return download(body, _file_name(figure, filters, "xlsx"), mimetype)


def _file_name(figure: str, filters: Filters, extension: str) -> str:
    return f"dossiers-{figure}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{extension}"


def _choices() -> dict:
    """Return the options of the filters: clients and collectors for staff, placements within the tenant."""
    placements = db.session.scalars(
        scoped(Placement).where(Placement.status == PlacementStatus.IMPORTED.value)
        .order_by(Placement.created_at.desc()).limit(200)
    ).all()
    if not current_user.is_staff:
        return {"clients": [], "collectors": [], "placements": placements}
    return {
        "clients": db.session.scalars(sa.select(Client).order_by(Client.name)).all(),
        "collectors": db.session.scalars(
            sa.select(User).where(User.role == Role.COLLECTOR.value).order_by(User.name)).all(),
        "placements": placements,
    }


def _charts(d: Dashboard) -> dict:
    """Return the SVG charts of the dashboard; the tables beside them carry the same numbers."""
    curves = line_chart(
        [Series(format_date(c.month, "MMM yyyy"), c.points) for c in d.curves[-8:]],
        title=_("Liquidation curves"), x_label=_("Months since placement"), y_label=_("Share of the amount placed"),
    )
    args = d.filters.as_args()
    channels = bar_chart(
        [Bar(str(labels.channel(r.key)), r.cents, labels.money_share(r.cents, r.share),
             url_for("reports.cases", figure=CHANNEL_PREFIX + r.key, **args)) for r in d.by_channel],
        title=_("Money collected by channel"),
    )
    return {"curves": curves, "channels": channels}
