"""Limitation on screen: each claim's date on the case page (staff and client alike) and the managers' list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from agency.auth import permission_required
from agency.clock import today
from agency.db import db
from agency.models import Client
from cases import extensions
from cases.closing.limitation import NEAR_DAYS, ClaimLimitationView, case_limitations, claim_outstanding
from cases.models import Case, CaseStatus, Claim, ClaimLimitation
from debtors.models import Debtor

bp = Blueprint("limitation", __name__)

OPEN_STATUSES = [s.value for s in CaseStatus if s.is_open]
LIST_LIMIT = 500
EVENT = {
    "due_date": _l("Due date"),
    "promise": _l("Promise recorded"),
    "plan": _l("Payment plan asked for"),
    "payment": _l("Partial payment"),
    "served": _l("Order to pay served"),
    "enforcement_act": _l("Enforcement act"),
}
PERIOD = {2: _l("2 years (C. consom. L218-2)"), 5: _l("5 years (C. com. L110-4)")}

extensions.add_panel("main", "cases/closing/_limitation.html", 10)


@dataclass(frozen=True)
class LimitationPanel:
    claims: list[ClaimLimitationView]
    today: date

    @property
    def prescribed(self) -> list[ClaimLimitationView]:
        return [claim for claim in self.claims if claim.prescribed]


def limitation_panel(case: Case) -> LimitationPanel:
    """Return each claim's limitation computed live for the case page."""
    on = today()
    return LimitationPanel(case_limitations(case, on), on)


@bp.app_context_processor
def limitation_helpers() -> dict:
    return {"limitation_panel": limitation_panel, "limitation_labels": {"event": EVENT, "period": PERIOD}}


@dataclass(frozen=True)
class NearRow:
    case_id: int
    case_reference: str
    invoice_number: str
    debtor: str
    client: str
    limitation_on: date
    event_kind: str
    started_on: date
    outstanding_cents: int
    currency: str


def nearing(on: date, client_id: int | None) -> list[NearRow]:
    """Return the claims still owed on open cases whose limitation date is past or within 90 days, by date."""
    owed = claim_outstanding(ClaimLimitation.claim_id)
    query = (
        sa.select(Case.id, Case.reference, Claim.invoice_number, Client.name, ClaimLimitation.limitation_on,
                  ClaimLimitation.event_kind, ClaimLimitation.started_on, owed, Claim.currency, Debtor.kind,
                  Debtor.company_name, Debtor.title, Debtor.first_name, Debtor.last_name)
        .join(Claim, Claim.id == ClaimLimitation.claim_id)
        .join(Case, Case.id == ClaimLimitation.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Client, Client.id == Case.client_id)
        .where(ClaimLimitation.limitation_on <= on + timedelta(days=NEAR_DAYS), ClaimLimitation.suspended_since.is_(None),
               Case.status.in_(OPEN_STATUSES), owed > 0)
        .order_by(ClaimLimitation.limitation_on, Case.reference, Claim.invoice_number)
        .limit(LIST_LIMIT)
    )
    if client_id:
        query = query.where(ClaimLimitation.client_id == client_id)
    return [NearRow(row[0], row[1], row[2], Debtor.name_of(*row[9:]), *row[3:9])
            for row in db.session.execute(query)]


@bp.get("/limitation")
@permission_required("limitation.list")
def index():
    client_id = request.args.get("client", type=int)
    on = today()
    computed_at = db.session.scalar(sa.select(sa.func.max(ClaimLimitation.computed_at)))
    clients = db.session.scalars(sa.select(Client).order_by(Client.name)).all()
    return render_template("cases/closing/limitation_list.html", rows=nearing(on, client_id), on=on,
                           client_id=client_id, clients=clients, computed_at=computed_at, limit=LIST_LIMIT,
                           near_days=NEAR_DAYS)
