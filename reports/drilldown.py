"""The cases behind each figure of the dashboard, with the same filters: one list for the page and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from agency.db import db, sum_cents
from agency.models import Client, User
from cases.models import Action, ActionKind, Case, CaseStatus, EntryKind, LedgerEntry, Promise, PromiseStatus
from debtors.models import Debtor
from money.models import Payment
from reports.channel_cases import channel_case_ids, latest_channel_refresh
from reports.figures import (
    CONVERSATIONS,
    NO_CONTACT,
    attributions,
    closed_clause,
    collected_clause,
    done_contacts,
    entry_kind,
    on_hold_clause,
)
from reports.filters import Filters, cohort_clause
from reports.labels import channel, closing_reasons


def _paid_something() -> sa.ColumnElement[bool]:
    return sa.exists().where(Payment.case_id == Case.id, Payment.reversed_on.is_(None))


def _status(status: CaseStatus) -> sa.ColumnElement[bool]:
    return Case.status == status.value


def _outstanding() -> sa.ColumnElement[bool]:
    return sa.select(sum_cents(LedgerEntry.amount_cents)).where(LedgerEntry.case_id == Case.id).scalar_subquery() > 0


# Figure key -> (title, the clause on Case selecting its cases). Channel keys are resolved by attribution.
FIGURES = {
    "opened": (_l("Cases opened"), lambda: sa.true()),
    "placed": (_l("Amount placed"), lambda: sa.true()),
    "collected": (_l("Cases that paid"), _paid_something),
    "first_payment": (_l("Cases that paid"), _paid_something),
    "outstanding": (_l("Cases with a balance outstanding"), _outstanding),
    "written_off": (_l("Cases with a write-off"), lambda: sa.exists().where(
        LedgerEntry.case_id == Case.id, LedgerEntry.kind == EntryKind.WRITE_OFF.value)),
    "paid": (_l("Cases fully paid"), lambda: _status(CaseStatus.PAID)),
    "plan": (_l("Cases in a payment plan"), lambda: _status(CaseStatus.PLAN)),
    "dispute": (_l("Cases in dispute"), lambda: _status(CaseStatus.DISPUTE)),
    "hold": (_l("Cases on hold"), on_hold_clause),
    "closed": (_l("Cases closed unpaid"), lambda: _status(CaseStatus.CLOSED)),
    "attempts": (_l("Cases with a contact attempt"), lambda: sa.exists().where(
        Action.case_id == Case.id, done_contacts())),
    "right_party": (_l("Cases with a right-party contact"), lambda: sa.exists().where(
        Action.case_id == Case.id, done_contacts(), Action.kind == ActionKind.CALL.value,
        Action.outcome.in_(CONVERSATIONS))),
    "promises": (_l("Cases with a promise to pay"), lambda: sa.exists().where(Promise.case_id == Case.id)),
    "kept": (_l("Cases with a promise kept"), lambda: sa.exists().where(
        Promise.case_id == Case.id, Promise.status == PromiseStatus.KEPT.value)),
}
CHANNEL_PREFIX = "channel-"
CLOSED_PREFIX = "closed-"  # then a closing reason's code: the cases closed unpaid for it


def closed_for(reason_code: str) -> sa.ColumnElement[bool]:
    """Return the clause of the cases closed unpaid for `reason_code` ("" for those closed without a reason)."""
    return sa.and_(closed_clause(), Case.closed_reason == reason_code)


def is_figure(key: str) -> bool:
    """Tell whether `key` names a figure that has a drill-down list."""
    if key.startswith(CHANNEL_PREFIX):
        return key.removeprefix(CHANNEL_PREFIX) in (*(k.value for k in ActionKind), NO_CONTACT)
    if key.startswith(CLOSED_PREFIX):
        return len(key) - len(CLOSED_PREFIX) <= 40  # a reason's code; an unknown one lists no case
    return key in FIGURES


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    reference: str
    client: str
    debtor: str
    opened_on: date
    status: str
    collector: str
    placed: int
    collected: int
    outstanding: int


def _query(filters: Filters, key: str) -> sa.Select:
    query = (
        sa.select(Case.id, Case.reference, Client.name, Debtor, Case.opened_on, Case.status, User.name)
        .join(Client, Client.id == Case.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(User, User.id == Case.assigned_collector_id)
        .where(cohort_clause(filters))
        .order_by(Case.opened_on, Case.reference)
    )
    if key.startswith(CHANNEL_PREFIX):
        channel_key = key.removeprefix(CHANNEL_PREFIX)
        if latest_channel_refresh() is not None:  # pre-computed hourly: the live attribution takes seconds
            return query.where(Case.id.in_(channel_case_ids(channel_key)))
        ids = sorted({a.case_id for a in attributions(filters) if a.kind == channel_key})
        return query.where(Case.id.in_(ids))
    if key.startswith(CLOSED_PREFIX):
        return query.where(closed_for(key.removeprefix(CLOSED_PREFIX)))
    return query.where(FIGURES[key][1]())


def _rows(query: sa.Select) -> list[CaseRow]:
    found = db.session.execute(query).all()
    amounts = _amounts([r[0] for r in found])
    return [
        CaseRow(cid, ref, client, debtor.display_name, opened_on, status, collector or "",
                *amounts.get(cid, (0, 0, 0)))
        for cid, ref, client, debtor, opened_on, status, collector in found
    ]


def case_rows(filters: Filters, key: str) -> list[CaseRow]:
    """Return the cases behind figure `key`, oldest first, with their amounts from the ledger."""
    return _rows(_query(filters, key))


def case_page(filters: Filters, key: str, page: int, size: int) -> tuple[int, list[CaseRow]]:
    """Return how many cases are behind figure `key` and those of page `page` (from 1), in the order of the export."""
    query = _query(filters, key)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return total, _rows(query.limit(size).offset((page - 1) * size))


def _amounts(case_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Return (placed, collected, outstanding) per case, summed like the dashboard's figures."""
    result: dict[int, tuple[int, int, int]] = {}
    kind, reversed_entry = entry_kind()
    for start in range(0, len(case_ids), 5000):  # bounded IN lists
        chunk = case_ids[start:start + 5000]
        for cid, placed, collected, outstanding in db.session.execute(
            sa.select(
                LedgerEntry.case_id,
                sum_cents(sa.case((kind == EntryKind.PRINCIPAL.value, LedgerEntry.amount_cents), else_=0)),
                sum_cents(sa.case((collected_clause(kind), LedgerEntry.amount_cents), else_=0)),
                sum_cents(LedgerEntry.amount_cents),
            )
            .outerjoin(reversed_entry, LedgerEntry.reverses_id == reversed_entry.id)
            .where(LedgerEntry.case_id.in_(chunk))
            .group_by(LedgerEntry.case_id)
        ):
            result[cid] = (placed, -collected, outstanding)
    return result


def title_of(key: str) -> str:
    """Return the title of the list behind figure `key`."""
    if key.startswith(CHANNEL_PREFIX):
        return str(_l("Cases whose payments are credited to: %(channel)s",
                      channel=channel(key.removeprefix(CHANNEL_PREFIX))))
    if key.startswith(CLOSED_PREFIX):
        code = key.removeprefix(CLOSED_PREFIX)
        return str(_l("Cases closed unpaid: %(reason)s", reason=closing_reasons([code])[code]))
    return str(FIGURES[key][0])
