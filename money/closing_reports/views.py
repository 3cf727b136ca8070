"""Pages of closing reports: the list by period (each client its own, managers every client's), the PDF and
the CSV of the period's closed cases."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required, scoped
from agency.clock import today
from agency.db import db
from agency.models import Client
from cases.letters.storage import DocumentError, file_response, pdf_response
from money.closing_reports.documents import reason_label, reports_csv
from money.closing_reports.reports import report_pdf
from money.models import ClosingReport

bp = Blueprint("closing_reports", __name__, url_prefix="/closing-reports")

PAGE_SIZE = 50


def _period() -> tuple[date, date]:
    """The period asked (`from`, `to`), by default the last thirty days; a date not understood is dropped."""
    end, start = _day("to") or today(), _day("from")
    return (start or end - timedelta(days=30), end) if (start or end) <= end else (end, start)


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _client_id() -> int | None:
    """The client staff asked for (None: every client); a client user's rows are scoped to its own anyway."""
    if not current_user.is_staff:
        return current_user.client_id
    asked = request.args.get("client", "").strip()
    return int(asked) if asked.isdigit() and db.session.get(Client, int(asked)) is not None else None


def _reports(client_id: int | None, start: date, end: date) -> sa.Select:
    query = scoped(ClosingReport).where(ClosingReport.closed_on.between(start, end))
    return query.where(ClosingReport.client_id == client_id) if client_id is not None else query


@bp.get("")
@permission_required("remittances.view")
def index():
    client_id = _client_id()
    start, end = _period()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    query = _reports(client_id, start, end)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    reports = db.session.scalars(query.order_by(ClosingReport.closed_on.desc(), ClosingReport.id.desc())
                                 .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    names = dict(db.session.execute(sa.select(Client.id, Client.name).where(
        Client.id.in_({r.client_id for r in reports}))).all())
    clients = (db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
               if current_user.is_staff else [])
    return render_template("money/closing_reports/index.html", reports=reports, names=names, clients=clients,
                           client_id=client_id, start=start, end=end, page=page, total=total,
                           pages=max(1, -(-total // PAGE_SIZE)), reason=reason_label)


@bp.get("/closed-cases.csv")
@permission_required("remittances.view")
def csv():
    client_id = _client_id()
    start, end = _period()
    reports = db.session.scalars(_reports(client_id, start, end)
                                 .order_by(ClosingReport.closed_on, ClosingReport.id)).all()
    code = db.session.get(Client, client_id).code if client_id is not None else "tous"
    return file_response(reports_csv(reports).encode(), f"dossiers-clos-{code}-{start:%Y%m%d}-{end:%Y%m%d}.csv",
                         "text/csv", None, inline=False)


@bp.get("/<int:closing_report_id>.pdf")
@permission_required("remittances.view")
def pdf(closing_report_id: int):
    report = get_scoped_or_404(ClosingReport, closing_report_id)
    try:
        data = report_pdf(report)
    except DocumentError as exc:
        current_app.logger.error("closing report %s not served: %s", report.reference, exc)
        flash(_("The stored file of report %(reference)s is missing or does not match its recorded fingerprint: "
                "it was not served. Tell your administrator.", reference=report.reference), "danger")
        return redirect(url_for("closing_reports.index"))
    return pdf_response(data, report.reference, report.pdf_sha256)
