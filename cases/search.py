"""Finding cases: the case list's search, filters and paging, always inside the user's tenant scope."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from agency.auth import scoped
from agency.db import db
from cases.models import Case, CaseStatus, Claim
from debtors.models import ContactPoint, Debtor


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    client_id: int | None = None
    mine_user_id: int | None = None  # only cases assigned to this collector
    placement_id: int | None = None  # only cases opened by this placement


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_cases(user, filters: CaseFilters, page: int = 1, per_page: int = 50) -> CasePage:
    """Return one page of the cases `user` may see that match `filters`, newest first."""
    query = scoped(Case, user)
    if filters.status in {s.value for s in CaseStatus}:
        query = query.where(Case.status == filters.status)
    if filters.client_id:
        query = query.where(Case.client_id == filters.client_id)
    if filters.placement_id:
        query = query.where(Case.placement_id == filters.placement_id)
    if filters.mine_user_id:
        query = query.where(Case.assigned_collector_id == filters.mine_user_id)
    if term := filters.q.strip():
        query = query.where(_matches(term, staff=user.is_staff))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = max(1, page)
    rows = db.session.scalars(
        query.options(joinedload(Case.debtor), joinedload(Case.client))
        .order_by(Case.opened_on.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CasePage(list(rows), total, page, per_page)


def _matches(term: str, *, staff: bool) -> sa.ColumnElement[bool]:
    """Match a reference, a debtor's name or SIREN, an invoice number; staff also search phones and e-mails."""
    like = f"%{term.lower()}%"
    debtor_match = sa.select(Debtor.id).where(
        sa.or_(
            sa.func.lower(Debtor.last_name).like(like),
            sa.func.lower(Debtor.first_name).like(like),
            sa.func.lower(Debtor.company_name).like(like),
            Debtor.siren == term.replace(" ", ""),
        )
    )
    clauses = [
        sa.func.lower(Case.reference).like(like),
        sa.func.lower(Case.client_reference).like(like),
        Case.debtor_id.in_(debtor_match),
        Case.id.in_(sa.select(Claim.case_id).where(sa.func.lower(Claim.invoice_number).like(like))),
    ]
    if staff:
        compact = term.replace(" ", "").lower()
        digits = compact.lstrip("+0")
        contact = sa.select(ContactPoint.debtor_id).where(
            sa.or_(
                sa.func.lower(ContactPoint.value).like(f"%{compact}%"),
                ContactPoint.value.like(f"%{digits}")
                if digits.isdigit() and len(digits) >= 6
                else sa.false(),
            )
        )
        clauses.append(Case.debtor_id.in_(contact))
    return sa.or_(*clauses)
