"""Pages of the debtor's space: the door a link opens, the case as the debtor reads it, its documents.

Routes, all under /espace except the first links' old address:
- `/espace/<token>`: checks the link, opens a visit in the session and redirects to `/espace/`, so that the
  token leaves the address bar, the history and any referrer at once;
- `/espace/`: the second factor, then the case; `/espace/dossier/<id>` and its PDFs; `/espace/sortir`;
- beside the case: `/espace/dossier/<id>/payer` (debtor_space.pay_views), `/echeancier`, `/contester`,
  `/contact` (the page has their sections).
Every page answers in the debtor's language, with a strict Content-Security-Policy, no referrer and no
cache. A visit never reaches a staff page: those drop it (`_no_visit_on_staff_pages`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from agency.db import db
from agency.models import AgencyProfile
from cases.letters import labels as letter_labels
from cases.letters.documents import group_iban, registration_line
from cases.letters.storage import DocumentError, pdf_response, read_document
from cases.messaging.links import PORTAL, read_id
from cases.messaging.space_links import find_link, link_state
from cases.models import Case
from debtor_space import statement
from debtor_space.access import (
    VISIT,
    Factor,
    TooManyAttempts,
    current_visit,
    end_visit,
    factor_of,
    start_visit,
    verify,
    visible_case,
    visible_cases,
    wait_before_answer,
)
from debtor_space.forms import LeaveForm, SecondFactorForm
from money.payments import labels as payment_labels
from money.plans import labels as plan_labels

bp = Blueprint("debtor_space", __name__)

# Stricter than the staff pages' policy: nothing is loaded from anywhere but here, no plugin, no <base>.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
))
# Endpoints outside this blueprint that a visit may pass through without ending: static files (the page's own
# stylesheets, Bootstrap's), a debtor's other link.
DEBTOR_ENDPOINTS = frozenset({"static", "bootstrap.static", "messaging.unsubscribe_page"})
_TOKEN_IN_PATH = re.compile(r"(/espace/|/d/)[^/\s?\"']+")


class _HideTokens(logging.Filter):
    """Mask link tokens in the access log lines of the development server and gunicorn."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask = lambda a: _TOKEN_IN_PATH.sub(r"\1…", a) if isinstance(a, str) else a  # noqa: E731
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) for a in record.args)
        elif isinstance(record.args, dict):  # gunicorn's access log passes its atoms by name
            record.args = {k: mask(v) for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub(r"\1…", record.msg)
        return True


@bp.record_once
def _mask_tokens_in_logs(_state) -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logging.getLogger(name).addFilter(_HideTokens())


@bp.before_app_request
def _no_visit_on_staff_pages() -> None:
    # A staff page never sees a debtor's visit: it ends there, and the page answers as to anyone signed out.
    if VISIT in session and request.blueprint != bp.name and request.endpoint not in DEBTOR_ENDPOINTS | {None}:
        end_visit()


@bp.after_request
def _space_headers(response: Response) -> Response:
    if response.mimetype != "application/pdf":
        policy = CONTENT_SECURITY_POLICY
        if extra := g.get("space_form_action"):  # a form that sends the debtor on to a payment page
            policy = policy.replace("form-action 'self'", f"form-action 'self' {extra}")
        response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(CSRFError)  # by its own class too: the app's handler of it would otherwise come first
@bp.errorhandler(HTTPException)
def _error(error: HTTPException):
    # The staff's error page links to the staff's pages: the space answers with its own.
    kind = "form_expired" if isinstance(error, CSRFError) else "not_found" if error.code == 404 else "error"
    # A refused input names its field and why (agency.inputs), as the staff's error page does.
    return _message(kind, status=error.code or 500, detail=getattr(error, "message_for_user", ""))


def _language(case: Case | None = None) -> str:
    languages = current_app.config["LANGUAGES"]
    wanted = case.debtor.language if case is not None else request.accept_languages.best_match(list(languages))
    return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _render(template: str, case: Case | None = None, status: int = 200, **context) -> tuple[str, int]:
    with force_locale(_language(case)):
        html = render_template(template, case=case, agency=db.session.get(AgencyProfile, 1), **context)
    return html, status


def _message(kind: str, case: Case | None = None, status: int = 200, **context):
    return _render("debtor_space/message.html", case, status, kind=kind, **context)


def _too_many(case: Case, wait: int):
    html, status = _message("blocked", case, 429, minutes=max(1, -(-wait // 60)))
    return Response(html, status, headers={"Retry-After": str(wait)}, mimetype="text/html")


def visit_required(view: Callable) -> Callable:
    """Decorate a view of a case: a verified visit that may see `case_id`, else the door or a 404."""

    @wraps(view)
    def wrapped(case_id: int, **kwargs):
        visit = current_visit()
        if visit is None:
            return _message("ended", status=403)
        if not visit.verified:
            return redirect(url_for(".door"))
        case = visible_case(visit, case_id)
        if case is None:
            return _message("not_found", visit.link.case, 404)
        g.space_visit = visit
        return view(case, **kwargs)

    return wrapped


@bp.get("/espace/<token>")
def enter(token: str):
    """Open the space a link names, then move to an address without the token."""
    link = find_link(token)
    if link is None:
        return _message("unknown", status=404)
    state = link_state(link)
    if state != "active":
        return _message(state, link.case, 410)
    start_visit(link)
    return redirect(url_for(".door"))


@bp.route("/espace/", methods=["GET", "POST"])
def door():
    """Ask the second factor of a new visit; a verified visit goes on to its case."""
    visit = current_visit()
    if visit is None:
        return _message("ended", status=403)
    case = visit.link.case
    if visit.verified:
        return redirect(url_for(".case_page", case_id=case.id))
    factor = factor_of(case.debtor)
    if factor is None:
        return _message("no_factor", case)
    form = SecondFactorForm()
    if (wait := wait_before_answer(visit.link)) is not None and request.method == "GET":
        return _too_many(case, wait)
    wrong = False
    if form.validate_on_submit():
        try:
            verified = verify(visit.link, form.answer.data)
        except TooManyAttempts as exc:
            db.session.commit()  # the refused answer's audit event
            return _too_many(case, exc.retry_after)
        db.session.commit()
        if verified:
            return redirect(url_for(".case_page", case_id=case.id))
        if (wait := wait_before_answer(visit.link)) is not None:
            return _too_many(case, wait)
        if current_visit() is None:  # that answer used up the link
            return _message("revoked", case, 410)
        wrong = True
    status = 400 if form.is_submitted() else 200
    return _render("debtor_space/door.html", case, status, form=form, factor=factor.value, wrong=wrong,
                   is_siren=factor is Factor.SIREN)


@bp.get("/espace/dossier/<int:case_id>")
@visit_required
def case_page(case: Case):
    """The case as the debtor reads it: what is owed and why, how to pay, the documents, who we are."""
    visit = g.space_visit
    others = [c for c in visible_cases(visit.link) if c.id != case.id]
    agency = db.session.get(AgencyProfile, 1)
    return _render("debtor_space/case.html", case, statement=statement.statement(case, others),
                   leave_form=LeaveForm(), pay_online_url=url_for(".pay", case_id=case.id), iban=group_iban,
                   registration=registration_line(agency) if agency else "", letter_kinds=letter_labels.KIND,
                   methods=payment_labels.METHOD, instalment_labels=plan_labels.INSTALMENT)


@bp.get("/espace/dossier/<int:case_id>/courriers/<int:letter_id>.pdf")
@visit_required
def letter_pdf(case: Case, letter_id: int):
    letter = statement.case_letter(case, letter_id)
    if letter is None:
        return _message("not_found", case, 404)
    return _document(case, letter.file_path, letter.sha256, letter.reference)


@bp.get("/espace/dossier/<int:case_id>/recus/<int:payment_id>.pdf")
@visit_required
def receipt_pdf(case: Case, payment_id: int):
    payment = statement.case_receipt(case, payment_id)
    if payment is None:
        return _message("not_found", case, 404)
    return _document(case, payment.receipt_path, payment.receipt_sha256, payment.reference)


@bp.get("/espace/dossier/<int:case_id>/echeanciers/<int:plan_id>.pdf")
@visit_required
def plan_pdf(case: Case, plan_id: int):
    plan = statement.case_plan(case, plan_id)
    if plan is None:
        return _message("not_found", case, 404)
    return _document(case, plan.agreement_path, plan.agreement_sha256, plan.reference)


def _document(case: Case, path: str, sha256: str, name: str):
    """Serve a stored PDF as staff get it: checked against its recorded SHA-256 first."""
    try:
        data = read_document(path, sha256)
    except DocumentError as exc:
        current_app.logger.error("document %s of case %s not served to the debtor: %s", name, case.reference, exc)
        return _message("document_missing", case, 503)
    return pdf_response(data, name, sha256)


@bp.post("/espace/sortir")
def leave():
    """End the visit in this browser (the link still works, with the second factor again)."""
    visit = current_visit()
    form = LeaveForm()
    if visit is None or not form.validate_on_submit():
        return _message("ended", status=403)
    case = visit.link.case
    end_visit()
    return _message("left", case)


@bp.get("/d/<token>")
def old_link(token: str):
    """The first links sent, signed case ids that could neither expire nor be revoked: expired, all of them."""
    case_id = read_id(PORTAL, token)
    case = db.session.get(Case, case_id) if case_id is not None else None
    if case is None:
        return _message("unknown", status=404)
    return _message("expired", case, 410)


# The pages where the debtor answers (plan, dispute, contact) hang on this blueprint: imported last, as they
# use its helpers.
from debtor_space import answer_views, pay_views  # noqa: E402, F401
