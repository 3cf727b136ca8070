"""The audit screen: search the trail, read each event's changes, export what the search keeps."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l

from agency.auth import permission_required
from agency.clock import today
from reports.audit import export, trail
from reports.audit.forms import AuditSearchForm

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
FILTER_FIELDS = ("case", "debtor", "actor", "kind", "start", "end")
SUBJECTS = {
    "collection_case": _l("Case"), "debtor": _l("Debtor"), "contact_point": _l("Contact point"),
    "claim": _l("Invoice"), "ledger_entry": _l("Ledger entry"), "payment": _l("Payment"),
    "payment_plan": _l("Payment plan"), "promise": _l("Promise"), "letter": _l("Letter"), "hold": _l("Hold"),
    "user_account": _l("User"), "client": _l("Client"), "mandate": _l("Mandate"), "placement": _l("Placement"),
    "remittance": _l("Remittance statement"), "judicial_proceeding": _l("Proceeding"),
}


def _search() -> tuple[AuditSearchForm, trail.AuditFilters | None]:
    form = AuditSearchForm(request.args)
    form.actor.choices = trail.actor_choices()
    valid = form.validate()
    # The case and the debtor are looked up even when another field is wrong, so every mistake shows at once.
    filters, errors = trail.filters_from("" if form.case.errors else form.case.data or "",
                                         "" if form.debtor.errors else form.debtor.data or "",
                                         form.actor.data, form.kind.data or "", form.start.data, form.end.data)
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]
    return form, filters if valid else None


@bp.get("/")
@permission_required("agency.audit")
def index():
    form, filters = _search()
    result = None
    if filters is not None:
        result = trail.page(filters, PAGE_SIZE, after=trail.Cursor.parse(request.args.get("after")),
                            before=trail.Cursor.parse(request.args.get("before")))
    args = {name: value for name in FILTER_FIELDS if (value := request.args.get(name, "").strip())}
    return render_template("reports/audit.html", form=form, result=result, args=args, kinds=trail.kinds(),
                           subjects=SUBJECTS, changes=trail.changes, case_table=trail.CASE_TABLE)


@bp.get("/export.csv")
@permission_required("agency.audit")
def export_csv():
    return _download(export.csv_stream, "csv", "text/csv")


@bp.get("/export.xlsx")
@permission_required("agency.audit")
def export_xlsx():
    return _download(export.xlsx_stream, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _download(stream, suffix: str, mimetype: str) -> Response:
    form, filters = _search()
    if filters is None:
        return render_template("reports/audit.html", form=form, result=None, args={}, kinds=[], subjects=SUBJECTS,
                               changes=trail.changes, case_table=trail.CASE_TABLE), 400
    # Streamed: the rows are read, written and sent batch by batch, never held all at once.
    response = Response(stream_with_context(stream(filters)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{today().isoformat()}.{suffix}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
