"""The managers' list of open proceedings by next deadline: the overdue first, then the nearest.

One page is the ids of its rows, on the deadline index (`ix_judicial_proceeding_deadline`), limited and
offset, then those rows with the case, the debtor and the client joined for their names only; the count is
a third query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.db import db
from agency.models import Client
from cases.models import Case, Proceeding, Route, Stage
from cases.models.judicial import CLOSED_STAGES
from debtors.models import Debtor

PER_PAGE = 50
OPEN_STAGES = tuple(s.value for s in Stage if s not in CLOSED_STAGES)
ROUTES = tuple(r.value for r in Route)


@dataclass(frozen=True)
class BoardFilters:
    client_id: int | None = None
    route: str = ""
    stage: str = ""

    @classmethod
    def of(cls, client_id: int | None, route: str, stage: str) -> BoardFilters:
        """Filters from the query string, an unknown route or stage meaning none."""
        return cls(client_id, route if route in ROUTES else "", stage if stage in OPEN_STAGES else "")


@dataclass(frozen=True)
class BoardRow:
    proceeding_id: int
    reference: str
    case_id: int
    case_reference: str
    debtor: str
    client: str
    route: str
    stage: str
    deadline_kind: str
    deadline_on: date | None
    claimed_cents: int
    currency: str

    def days_left(self, on: date) -> int | None:
        return (self.deadline_on - on).days if self.deadline_on else None


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    total: int
    page: int
    pages: int


def open_proceedings(filters: BoardFilters, page: int = 1, per_page: int | None = None) -> BoardPage:
    """A page of the open proceedings, by next deadline (past ones first, none last), then oldest first."""
    per_page = per_page or PER_PAGE
    where = [Proceeding.stage.in_([filters.stage] if filters.stage else OPEN_STAGES)]
    if filters.client_id:
        where.append(Proceeding.client_id == filters.client_id)
    if filters.route:
        where.append(Proceeding.route == filters.route)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Proceeding).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    order = (Proceeding.next_deadline_on.asc().nulls_last(), Proceeding.id)
    # The page's ids first, on the proceedings alone: a deep page skips rows without joining them.
    ids = sa.select(Proceeding.id).where(*where).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    query = (
        sa.select(Proceeding.id, Proceeding.reference, Case.id, Case.reference, Debtor.kind, Debtor.company_name,
                  Debtor.title, Debtor.first_name, Debtor.last_name, Client.name, Proceeding.route, Proceeding.stage,
                  Proceeding.next_deadline_kind, Proceeding.next_deadline_on, Proceeding.claimed_cents,
                  Proceeding.currency)
        .join(Case, Case.id == Proceeding.case_id).join(Debtor, Debtor.id == Case.debtor_id)
        .join(Client, Client.id == Proceeding.client_id)
        .where(Proceeding.id.in_(ids.scalar_subquery()))
        .order_by(*order)
    )
    rows = [BoardRow(r[0], r[1], r[2], r[3], Debtor.name_of(*r[4:9]), *r[9:]) for r in db.session.execute(query)]
    return BoardPage(rows, total, page, pages)


def clients_with_proceedings() -> list[Client]:
    """The clients that have an open proceeding (the list's filter)."""
    having = sa.select(Proceeding.client_id).where(Proceeding.stage.in_(OPEN_STAGES)).distinct()
    return list(db.session.scalars(sa.select(Client).where(Client.id.in_(having)).order_by(Client.name)))
