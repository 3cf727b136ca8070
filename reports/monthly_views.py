"""Pages of the monthly reports: the list (each client its own, managers every client's) and the downloads."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from agency.auth import get_scoped_or_404, permission_required, scoped
from agency.db import db
from agency.models import Client
from cases.letters.storage import pdf_response, read_document
from reports.labels import percent
from reports.models import MonthlyReport
from reports.web import asked_client_id, download

bp = Blueprint("monthly", __name__, url_prefix="/reports/monthly")

PAGE_SIZE = 50


@bp.get("")
@permission_required("reports.monthly")
def index():
    client_id = asked_client_id()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    query = scoped(MonthlyReport).join(Client, Client.id == MonthlyReport.client_id)
    if client_id is not None:
        query = query.where(MonthlyReport.client_id == client_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    reports = db.session.scalars(
        query.order_by(MonthlyReport.month.desc(), Client.name, MonthlyReport.id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    names = dict(db.session.execute(sa.select(Client.id, Client.name).where(
        Client.id.in_({r.client_id for r in reports}))).all())
    clients = (db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
               if current_user.is_staff else [])
    return render_template("reports/monthly/index.html", reports=reports, names=names, clients=clients,
                           client_id=client_id, page=page, pages=max(1, -(-total // PAGE_SIZE)), rate=lambda value: percent(None if value is None else Decimal(value)))


def _report(report_id: int) -> MonthlyReport:
    return get_scoped_or_404(MonthlyReport, report_id)


def _name(report: MonthlyReport) -> str:
    code = db.session.get(Client, report.client_id).code
    return f"rapport-{code}-{report.month:%Y-%m}"


@bp.get("/<int:report_id>.pdf")
@permission_required("reports.monthly")
def pdf(report_id: int):
    report = _report(report_id)
    return pdf_response(read_document(report.pdf_path, report.pdf_sha256), _name(report), report.pdf_sha256)


@bp.get("/<int:report_id>.csv")
@permission_required("reports.monthly")
def csv(report_id: int):
    report = _report(report_id)
    return download(report.csv_text, f"{_name(report)}.csv", "text/csv; charset=utf-8")
