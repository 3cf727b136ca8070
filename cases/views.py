"""Case pages: the searchable list and the case file."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.clock import today
from agency.db import db
from agency.models import Client
from agency.page_reads import reading_once
from cases import contact_rules, extensions, ledger
from cases.actions import case_history
from cases.batches.bar import action_bar
from cases.models import Case, CaseStatus
from cases.search import CaseFilters, Cursor, search_cases
from cases.timeline import timeline

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.app_context_processor
def _contact_rules_helpers() -> dict:
    # The case screen's compliance box asks the contact rules for each channel; other packages add panels.
    return {"contact_summary": contact_rules.contact_summary, "case_panels": extensions.panels}


@bp.get("/")
@permission_required("cases.view")
def index():
    return render_list(list_filters(request.args))


def list_filters(args) -> CaseFilters:
    """Read the list's filter from a query string (or the action bar's copy of it, posted)."""
    return CaseFilters(
        q=args.get("q", "")[:100],
        status=args.get("status", ""),
        client_id=args.get("client", type=int) if current_user.is_staff else None,
        mine_user_id=current_user.id if args.get("mine") == "1" else None,
        placement_id=args.get("placement", type=int),
    )


def render_list(filters: CaseFilters, *, batch_form: object = None, ticked: frozenset[int] = frozenset(),
                status: int = 200) -> tuple[str, int]:
    """Render a page of the case list; `batch_form` is an action bar posted and refused, shown again as it was."""
    args = request.args
    result = search_cases(
        current_user,
        filters,
        after=Cursor.parse(args.get("after")),
        before=Cursor.parse(args.get("before")),
        per_page=current_app.config["CASES_PER_PAGE"],
    )
    clients = (
        db.session.scalars(sa.select(Client).order_by(Client.name)).all() if current_user.is_staff else []
    )
    if batch_form is None and can("cases.bulk"):
        batch_form = action_bar()
    page = render_template(
        "cases/list.html",
        result=result,
        filters=filters,
        statuses=list(CaseStatus),
        clients=clients,
        balances=ledger.balances([c.id for c in result.cases]),
        batch_form=batch_form,
        ticked=ticked,
    )
    return page, status


@bp.get("/<int:case_id>")
@permission_required("cases.view")
def show(case_id: int):
    return render_case(get_scoped_or_404(Case, case_id))


def render_case(case: Case, *, call_form: object = None, status: int = 200) -> tuple[str, int]:
    """Render the case file; `call_form` is a call form posted and refused, shown again as it was typed.

    Rendering only reads: the panels share what several of them ask (balance, contact rules, dispute…).
    """
    internal = can("cases.internal")
    with reading_once():
        actions = case_history(case, internal=internal)
        page = render_template(
            "cases/show.html",
            case=case,
            balance=ledger.balance(case.id),
            actions=actions,
            history=timeline(case, actions, internal=internal),
            internal=internal,
            today=today(),
            call_form=call_form,
            from_queue=request.args.get("from") == "queue",
        )
    return page, status
