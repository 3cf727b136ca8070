"""The filters every figure, list and export of the dashboard shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa

from cases.models import Case


@dataclass(frozen=True)
class Filters:
    """Cases opened from `date_from` to `date_to` (inclusive), optionally of one client, collector, placement."""

    date_from: date
    date_to: date
    client_id: int | None = None
    collector_id: int | None = None
    placement_id: int | None = None

    def as_args(self) -> dict[str, str]:
        """Return the query-string arguments that rebuild these filters."""
        names = {"date_from": "from", "date_to": "to", "client_id": "client", "collector_id": "collector",
                 "placement_id": "placement"}
        return {names[k]: (v.isoformat() if isinstance(v, date) else str(v))
                for k, v in asdict(self).items() if v is not None}


def cohort_clause(filters: Filters) -> sa.ColumnElement[bool]:
    """Return the WHERE clause on `Case` selecting the cases these filters cover."""
    clauses = [Case.opened_on >= filters.date_from, Case.opened_on <= filters.date_to]
    if filters.client_id is not None:
        clauses.append(Case.client_id == filters.client_id)
    if filters.collector_id is not None:
        clauses.append(Case.assigned_collector_id == filters.collector_id)
    if filters.placement_id is not None:
        clauses.append(Case.placement_id == filters.placement_id)
    return sa.and_(*clauses)


def cohort_ids(filters: Filters) -> sa.Select:
    """Return a SELECT of the ids of the cases these filters cover, to use as a subquery."""
    return sa.select(Case.id).where(cohort_clause(filters))


def filters_for(form, user, today: date) -> Filters:
    """Return the filters a valid form asks for, confined to what `user` may see (404 on another client's rows).

    The period defaults to this year; a client user's figures are always its own client's, whatever is asked,
    and naming another client or another client's placement answers 404 rather than an empty page.
    """
    from flask import abort

    from agency.auth import get_scoped_or_404
    from agency.models import Role
    from cases.placement.models import Placement

    date_from = form.date_from.data if not form.date_from.errors and form.date_from.data else date(today.year, 1, 1)
    date_to = form.date_to.data if not form.date_to.errors and form.date_to.data else today
    if date_to < date_from:
        date_from, date_to = date(today.year, 1, 1), today
    client_id, collector_id = form.client.data, form.collector.data
    if Role(user.role) is Role.CLIENT:
        if client_id is not None and client_id != user.client_id:
            abort(404)
        client_id, collector_id = user.client_id, None  # no collector names in the portal
    placement_id = form.placement.data
    if placement_id is not None:
        get_scoped_or_404(Placement, placement_id, user)
    return Filters(date_from, date_to, client_id, collector_id, placement_id)
