"""Pages of the aged balance (managers, and each client for itself) and of collector performance (managers)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from agency.auth import permission_required
from agency.clock import today
from agency.db import db
from agency.models import Client
from agency.money import format_money
from cases.labels import STATUS
from reports.aged import BUCKET_KEYS, BUCKETS
from reports.aged_charts import bar_chart
from reports.aged_exports import as_csv, as_xlsx, balance_rows, case_rows, performance_rows
from reports.aged_jobs import request_aged_refresh
from reports.aged_snapshot import Source, balance_from, cases_from, source_for
from reports.collectors import MAX_DAYS, Grain, collector_performance
from reports.web import asked_client_id, download

bp = Blueprint("aged", __name__)


PAGE_SIZE = 100


def _date_arg(name: str, label: str, default: date | None, errors: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(_("%(field)s: “%(value)s” is not a date (YYYY-MM-DD).", field=label, value=raw[:20]))
        return default


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _source(errors: list[str]) -> Source:
    """Return where the figures asked for come from: without a date, the latest pre-computed balance."""
    return source_for(_date_arg("as_of", _("As of"), None, errors), today())


def _balance():
    errors: list[str] = []
    source = _source(errors)
    client_id = asked_client_id()
    return errors, source, client_id, balance_from(source, client_id)


@bp.get("/reports/aged")
@permission_required("reports.aged")
def balance():
    errors, source, client_id, aged = _balance()
    as_of = source.as_of
    money = {b.key: format_money(aged.totals[b.key].cents) for b in BUCKETS}
    chart = bar_chart([(str(b.label), aged.totals[b.key].cents, money[b.key],
                        url_for("aged.cases", as_of=as_of.isoformat(), bucket=b.key, client=client_id))
                       for b in BUCKETS], _("Outstanding by days past due"))
    return render_template("reports/aged/balance.html", aged=aged, buckets=BUCKETS, chart=chart, errors=errors,
                           client_id=client_id, snapshot=source.snapshot, refresh_form=FlaskForm(),
                           # Today's balance is the one pre-computed, before its first computation too.
                           recomputable=source.snapshot is not None or as_of == today()), \
        400 if errors else 200


@bp.post("/reports/aged/refresh")
@permission_required("reports.refresh")
def refresh():
    if FlaskForm().validate_on_submit():
        request_aged_refresh(current_user)
        db.session.commit()
        flash(_("The aged balance is being recomputed from the ledger."), "success")
    client = request.args.get("client", type=int)
    return redirect(url_for("aged.balance", client=client))


@bp.get("/reports/aged.csv")
@permission_required("reports.aged")
def balance_csv():
    return _balance_export("csv")


@bp.get("/reports/aged.xlsx")
@permission_required("reports.aged")
def balance_xlsx():
    return _balance_export("xlsx")


def _balance_export(fmt: str) -> Response:
    errors, source, _client, aged = _balance()
    if errors:
        abort(400, "; ".join(errors))
    name = f"balance-agee-{source.as_of.isoformat()}.{fmt}"
    if fmt == "csv":
        return download(as_csv(balance_rows(aged)), name, "text/csv; charset=utf-8")
    return download(as_xlsx(_("Aged balance"), balance_rows(aged)), name, XLSX)


def _cases(page: int | None):
    errors: list[str] = []
    source = _source(errors)
    client_id = asked_client_id()
    bucket = request.args.get("bucket") or None
    if bucket is not None and bucket not in BUCKET_KEYS:
        abort(404)
    return errors, source, client_id, bucket, cases_from(source, client_id, bucket, page, PAGE_SIZE)


@bp.get("/reports/aged/cases")
@permission_required("reports.aged")
def cases():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    errors, source, client_id, bucket, (count, total, rows) = _cases(page)
    client = db.session.get(Client, client_id) if client_id else None
    labels = {b.key: b.label for b in BUCKETS}
    return render_template("reports/aged/cases.html", rows=rows, as_of=source.as_of, client=client, bucket=bucket,
                           bucket_label=labels.get(bucket), statuses=STATUS, total=total, count=count, errors=errors,
                           page=page, pages=max(1, -(-count // PAGE_SIZE)), snapshot=source.snapshot,
                           args={"as_of": source.as_of.isoformat(), "client": client_id, "bucket": bucket}), \
        400 if errors else 200


@bp.get("/reports/aged/cases.csv")
@permission_required("reports.aged")
def cases_csv():
    return _cases_export("csv")


@bp.get("/reports/aged/cases.xlsx")
@permission_required("reports.aged")
def cases_xlsx():
    return _cases_export("xlsx")


def _cases_export(fmt: str) -> Response:
    errors, source, _client, bucket, (_count, _cents, rows) = _cases(None)
    if errors:
        abort(400, "; ".join(errors))
    name = f"balance-agee-dossiers-{source.as_of.isoformat()}{'-' + bucket if bucket else ''}.{fmt}"
    if fmt == "csv":
        return download(as_csv(case_rows(rows)), name, "text/csv; charset=utf-8")
    return download(as_xlsx(_("Cases"), case_rows(rows)), name, XLSX)


def _performance():
    errors: list[str] = []
    end = _date_arg("to", _("Until"), today(), errors)
    start = _date_arg("from", _("From"), end.replace(day=1), errors)
    grain = request.args.get("by", Grain.DAY.value)
    if grain not in {g.value for g in Grain}:
        errors.append(_("%(field)s: choose day, week or month.", field=_("By")))
        grain = Grain.DAY.value
    if start > end:
        errors.append(_("%(field)s: the period must start before it ends.", field=_("From")))
    elif (end - start).days >= MAX_DAYS:
        errors.append(_("%(field)s: the period may cover at most %(days)d days.", field=_("From"), days=MAX_DAYS))
    if errors:
        start, end = end - timedelta(days=end.day - 1), end
    return errors, collector_performance(start, end, Grain(grain))


@bp.get("/reports/collectors")
@permission_required("reports.collectors")
def collectors():
    errors, performance = _performance()
    return render_template("reports/aged/collectors.html", performance=performance, errors=errors,
                           grains=[(g.value, label) for g, label in _grain_labels().items()]), 400 if errors else 200


@bp.get("/reports/collectors.csv")
@permission_required("reports.collectors")
def collectors_export():
    errors, performance = _performance()
    if errors:
        abort(400, "; ".join(errors))
    name = f"performance-{performance.date_from.isoformat()}-{performance.date_to.isoformat()}.csv"
    return download(as_csv(performance_rows(performance)), name, "text/csv; charset=utf-8")


def _grain_labels() -> dict[Grain, str]:
    return {Grain.DAY: _("Day"), Grain.WEEK: _("Week"), Grain.MONTH: _("Month")}
