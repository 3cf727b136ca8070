"""Finding cases: the case list's search, filters and paging, always inside the user's tenant scope.

The list is every staff member's landing page and must answer as fast at a million cases as at a hundred:
- it pages by keyset (newest first, on opened_on then id), so a page reads its 51 rows from an index
  whatever its depth, and it never counts every row: the count stops at COUNT_CAP ("more than 1,000");
- a search term is tried as each kind of key at once (reference, customer number, invoice number, the
  debtor's name, SIREN and, for staff, phone, e-mail and postcode), each a SELECT of the filtered cases
  through its own index; the page is cut from their union.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from agency.auth import scoped
from agency.db import db
from cases.models import Case, CaseStatus, Claim
from debtors.search import matching_debtor_ids

COUNT_CAP = 1000
# A reference read out on the phone loses its dash: "D26004217" is D26-004217.
_SPOKEN_REFERENCE = re.compile(r"([A-Z])(\d{2})(\d{6})")


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    client_id: int | None = None
    mine_user_id: int | None = None  # only cases assigned to this collector
    placement_id: int | None = None  # only cases opened by this placement


@dataclass(frozen=True)
class Cursor:
    """A row of the list to page from: its sort key, and its position in the list (shown, never trusted)."""

    opened_on: date
    case_id: int
    position: int

    def __str__(self) -> str:
        return f"{self.opened_on.isoformat()}.{self.case_id}.{self.position}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """Read a cursor from a URL; anything malformed reads as none (the first page)."""
        try:
            day, case_id, position = (text or "").split(".")
            return cls(date.fromisoformat(day), int(case_id), max(1, int(position)))
        except ValueError:
            return None


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    first: int  # the position of the page's first row, from 1
    total: int  # how many cases match, counted up to cap + 1
    previous: Cursor | None  # page before this one: the rows before this cursor
    next: Cursor | None  # page after this one: the rows after this cursor
    cap: int  # the count stops past this many

    @property
    def last(self) -> int:
        return self.first + len(self.cases) - 1

    @property
    def many(self) -> bool:
        """True when more cases match than were counted (the list says "more than {cap}")."""
        return self.total > self.cap


def search_cases(
    user, filters: CaseFilters, *, after: Cursor | None = None, before: Cursor | None = None, per_page: int = 50
) -> CasePage:
    """Return one page of the cases `user` may see that match `filters`, newest first.

    Without a cursor it is the first page; `after` gives the page following that row, `before` the one
    preceding it.
    """
    branches = _branches(user, filters)
    key = sa.tuple_(Case.opened_on, Case.id)
    cap = COUNT_CAP
    counted = None
    if before is not None:
        rows, _ = _rows(branches, key > (before.opened_on, before.case_id), per_page + 1, newest_first=False)
        more_before = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        first = max(1, before.position - len(rows)) if more_before else 1
        more_after = True
    else:
        after_clause = key < (after.opened_on, after.case_id) if after is not None else sa.true()
        # A search's first page takes the sort keys of up to cap + 1 matches in one query: page and count at once.
        fetch = max(cap + 1, per_page + 1) if len(branches) > 1 and after is None else per_page + 1
        rows, found = _rows(branches, after_clause, fetch, newest_first=True, keep=per_page + 1)
        counted = found if fetch > per_page + 1 else None
        more_after = len(rows) > per_page
        rows = rows[:per_page]
        first = after.position + 1 if after is not None else 1
        more_before = after is not None
    if counted is not None:
        total = counted
    elif more_before or more_after:
        total = _count_up_to(branches, cap + 1)
    else:
        total = len(rows)  # the whole list is on this page: nothing to count
    return CasePage(
        cases=rows,
        first=first,
        total=total,
        previous=_cursor(rows[0], first) if rows and more_before else None,
        next=_cursor(rows[-1], first + len(rows) - 1) if rows and more_after else None,
        cap=cap,
    )


def _branches(user, filters: CaseFilters) -> list[sa.Select]:
    """Return the SELECTs of cases whose union is the list: one, or one per kind of key a search term can be."""
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
        return [query.where(condition) for condition in matching_conditions(term, staff=user.is_staff)]
    return [query]


def _rows(
    branches: list[sa.Select], where: sa.ColumnElement[bool], limit: int, *, newest_first: bool, keep: int = 0
) -> tuple[list[Case], int]:
    """Return the first cases of the branches' union that pass `where`, in the list's order: `keep` of them (all
    when 0) of the first `limit`, and how many of those there were."""
    branches = [b.where(where) for b in branches]
    loads = (joinedload(Case.debtor), joinedload(Case.client), joinedload(Case.assigned_collector))
    if len(branches) == 1:
        order = (Case.opened_on.desc(), Case.id.desc()) if newest_first else (Case.opened_on, Case.id)
        rows = list(db.session.scalars(branches[0].options(*loads).order_by(*order).limit(limit)))
        return rows[: keep or None], len(rows)
    # A search: each kind of key yields its cases' sort keys through its own index, the union is sorted, and
    # only the page's rows are read whole. Joining the union back to the cases instead lets the planner scan
    # the whole table when a common name matches thousands of cases.
    matches = sa.union(*(b.with_only_columns(Case.opened_on, Case.id) for b in branches)).subquery()
    columns = (matches.c.opened_on, matches.c.id)
    order = [c.desc() for c in columns] if newest_first else list(columns)
    ids = list(db.session.scalars(sa.select(matches.c.id).order_by(*order).limit(limit)))
    page = ids[: keep or None]
    cases = {c.id: c for c in db.session.scalars(sa.select(Case).options(*loads).where(Case.id.in_(page)))}
    return [cases[i] for i in page], len(ids)


def _count_up_to(branches: list[sa.Select], cap: int) -> int:
    """Count the cases of the branches' union, stopping at `cap`: a long list reads "more than …"."""
    ids = [b.with_only_columns(Case.id) for b in branches]
    capped = (ids[0] if len(ids) == 1 else sa.union(*ids)).limit(cap).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(capped))


def count_matching(user, filters: CaseFilters, cap: int) -> int:
    """Count the cases of the list `filters` gives `user`, stopping at `cap` (a bulk action's bound)."""
    return _count_up_to(_branches(user, filters), cap)


def matching_ids(user, filters: CaseFilters, limit: int) -> list[int]:
    """Return the ids of the first `limit` cases of the list `filters` gives `user`, by id (a bulk action's
    selection, run again by its job: by id, so that its chunks read neighbouring rows)."""
    ids = [b.with_only_columns(Case.id) for b in _branches(user, filters)]
    matches = (ids[0] if len(ids) == 1 else sa.union(*ids)).subquery()
    return list(db.session.scalars(sa.select(matches.c.id).order_by(matches.c.id).limit(limit)))


def _cursor(case: Case, position: int) -> Cursor:
    return Cursor(case.opened_on, case.id, position)


def matching_conditions(term: str, *, staff: bool) -> list[sa.ColumnElement[bool]]:
    """Return a condition on cases for each kind of key `term` can be; a case matches when one holds.

    Staff also find cases by the debtor's phone, e-mail and postcode. The tenant scope is applied by the
    caller, on the cases themselves.
    """
    conditions = [
        Case.reference.in_(reference_keys(term)),
        Case.client_reference == term,
        # As typed, or in capitals or lower case, the way invoice numbers are printed (FA-2026-0012).
        Case.id.in_(
            sa.select(Claim.case_id).where(Claim.invoice_number.in_(sorted({term, term.upper(), term.lower()})))
        ),
    ]
    conditions += [Case.debtor_id.in_(debtors) for debtors in matching_debtor_ids(term, contacts=staff)]
    return conditions


def reference_keys(term: str) -> list[str]:
    """Return the case references a typed term can be: as typed in capitals, and with its dash put back."""
    compact = "".join(term.upper().split())
    keys = [compact]
    if match := _SPOKEN_REFERENCE.fullmatch(compact):
        keys.append(f"{match[1]}{match[2]}-{match[3]}")
    return keys
