"""Fees advanced for a proceeding, and the title that puts them on the debtor (CPCE L111-8).

Court and commissaire de justice fees are recorded as advanced by the client or the agency, as the
mandate says; they stay theirs — shown in the proceeding and the remittance statements — and never touch
the debtor's balance until an enforceable title covers them. Once the title is enforceable, the costs and
the article 700 sum it awards are posted to the case's ledger, and the fees it covers are linked to that
entry; enforcement fees incurred afterwards follow the title and go on the ledger as they come.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency import audit
from agency.db import db
from agency.models import User
from cases import ledger
from cases.judicial import deadlines, settings, title_interest
from cases.judicial.proceedings import JudicialError
from cases.models import CostPayer, EntryKind, JudicialCost, JudicialTitle, Proceeding, Route

COST_KINDS = {
    "commercial_court_fee": _l("Greffe fee (commercial court)"),
    "small_claims_filing": _l("Small claims filing fee"),
    "small_claims_title": _l("Small claims title fee"),
    "service": _l("Service by a commissaire de justice"),
    "enforcement": _l("Enforcement fees"),
    "lawyer": _l("Lawyer's fees"),
    "other": _l("Other cost"),
}
# What the tariff sets, as data (`settings`): the form offers it.
TARIFF_KEYS = {"commercial_court_fee": "fee_commercial_court_cents",
               "small_claims_filing": "fee_small_claims_filing_cents",
               "small_claims_title": "fee_small_claims_title_cents"}
TITLE_KINDS = {Route.SMALL_CLAIMS: "small_claims_agreement", Route.REFERRAL: "judgment"}  # else an order


def tariff_cents(kind: str, on: date) -> int | None:
    key = TARIFF_KEYS.get(kind)
    return settings.number(key, on) if key else None


def record_cost(proceeding: Proceeding, *, kind: str, amount_cents: int, incurred_on: date, actor: User | None,
                label: str = "", advanced_by: str | None = None) -> JudicialCost:
    """Record a fee advanced for the proceeding; on the debtor's balance only under an enforceable title."""
    if kind not in COST_KINDS:
        raise JudicialError(_l("Choose what the cost is."), "kind")
    if amount_cents <= 0:
        raise JudicialError(_l("The amount must be above zero."), "amount")
    payer = CostPayer(advanced_by or proceeding.costs_advanced_by)
    cost = JudicialCost(proceeding=proceeding, client_id=proceeding.client_id, kind=kind, label=label.strip(),
                        amount_cents=amount_cents, currency=proceeding.currency, incurred_on=incurred_on,
                        advanced_by=payer.value, created_by_id=actor.id if actor else None)
    db.session.add(cost)
    title = proceeding.title
    if title is not None and title.enforceable_on is not None and incurred_on >= title.enforceable_on:
        entry = ledger.post_entry(proceeding.case, EntryKind.COST, amount_cents, incurred_on, actor=actor,
                                  description=f"{proceeding.reference} · {COST_KINDS[kind]}")
        db.session.flush()
        cost.ledger_entry_id = entry.id
    db.session.flush()
    audit.record("judicial.cost_recorded", actor=actor, subject=proceeding, client_id=proceeding.client_id,
                 after={"kind": kind, "amount": amount_cents, "on": incurred_on.isoformat(),
                        "advanced_by": payer.value, "on_balance": cost.ledger_entry_id is not None})
    return cost


def record_title(proceeding: Proceeding, values, *, issued_on: date, actor: User | None,
                 enforceable: bool) -> JudicialTitle:
    """Record the order or title and what it awards (checked against the case's principal)."""
    principal_owed = ledger.balance(proceeding.case_id).principal
    if values.principal_cents > principal_owed:
        raise JudicialError(_l("The principal awarded cannot exceed the principal claimed on the case."),
                            "principal")
    if min(values.principal_cents, values.interest_cents, values.article_700_cents, values.costs_cents) < 0:
        raise JudicialError(_l("Amounts cannot be negative."), "principal")
    if values.interest_from is not None and values.interest_from > issued_on:
        raise JudicialError(_l("Interest cannot run from a day after the title."), "interest_from")
    title = proceeding.title or JudicialTitle(proceeding=proceeding)
    title.kind = TITLE_KINDS.get(Route(proceeding.route), "order_to_pay")
    title.court, title.number = values.court.strip() or proceeding.court, values.number.strip()
    title.issued_on = issued_on
    title.principal_cents, title.interest_cents = values.principal_cents, values.interest_cents
    title.interest_from = values.interest_from
    title.article_700_cents, title.costs_cents = values.article_700_cents, values.costs_cents
    title.created_by_id = actor.id if actor else None
    db.session.add(title)
    if enforceable:
        make_enforceable(proceeding, issued_on, actor=actor)
    return title


def make_enforceable(proceeding: Proceeding, on: date, *, actor: User | None) -> None:
    """The title is enforceable from `on`: its costs and article 700 sum reach the debtor's balance."""
    title = proceeding.title
    if title is None:
        raise JudicialError(_l("No order or title is recorded on this proceeding."))
    title.enforceable_on = on
    title.expires_on = deadlines.title_expires(on)
    case = proceeding.case
    title_interest.fix_terms(title, case.claims, on)
    awarded = [(title.costs_cents, _l("costs awarded by the title")),
               (title.article_700_cents, _l("article 700 awarded by the title"))]
    first_entry = None
    for amount, what in awarded:
        if amount > 0:
            entry = ledger.post_entry(case, EntryKind.COST, amount, on, actor=actor,
                                      description=f"{proceeding.reference} · {what}")
            first_entry = first_entry or entry
    db.session.flush()
    if first_entry is not None:
        db.session.execute(sa.update(JudicialCost).where(JudicialCost.proceeding_id == proceeding.id,
                                                         JudicialCost.ledger_entry_id.is_(None),
                                                         JudicialCost.incurred_on <= on)
                           .values(ledger_entry_id=first_entry.id))


def advanced_costs(proceeding: Proceeding) -> dict[str, int]:
    """What was advanced by whom, and how much of it the debtor now owes under the title."""
    totals = {"client": 0, "agency": 0, "on_balance": 0}
    for cost in proceeding.costs:
        totals[cost.advanced_by] += cost.amount_cents
        if cost.ledger_entry_id is not None:
            totals["on_balance"] += cost.amount_cents
    return totals
