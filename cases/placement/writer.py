"""Writing a checked placement plan in bulk: debtors, contact points, cases, claims, ledger, audit.

Rows are built as plain dicts and streamed to `agency.bulk.insert_rows` (COPY on PostgreSQL): at
100,000 invoices, ORM objects would cost minutes and gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.bulk import allocate_ids, insert_rows, select_in
from agency.db import utcnow
from agency.models import AuditEvent, User
from cases.models import Case, CaseKind, CaseStatus, Claim, EntryKind, LedgerEntry
from cases.placement.matching import DebtorGroup
from cases.placement.models import Placement
from cases.placement.plan import Plan
from cases.placement.rows import Record
from cases.references import allocate_references
from debtors.models import ContactPoint, Debtor, DebtorReference


@dataclass(frozen=True)
class Written:
    debtors: int
    cases_created: int
    cases_updated: int
    claims: int
    references: list[str]  # of the cases created


def write_plan(plan: Plan, placement: Placement, actor: User | None, today: date) -> Written:
    """Write every accepted row of `plan` for `placement`'s client; the caller commits (one transaction)."""
    known = [g for g in plan.groups if g.debtor_id is not None]  # matched before anything is written
    new_groups = [g for g in plan.groups if g.debtor_id is None]
    _write_debtors(new_groups)
    _write_contacts(plan.groups, {g.debtor_id for g in known})
    _write_references(plan.groups, placement.client_id, {g.debtor_id for g in known})
    opened = [g for g in plan.groups if plan.case_of(g) is None]
    case_ids, references = _write_cases(opened, placement, today)
    for group in plan.groups:
        if existing := plan.case_of(group):
            case_ids[id(group)] = existing[0]
    claims = _write_claims(plan.groups, case_ids, placement, actor)
    changes = [(g, reference, "case.opened") for g, reference in zip(opened, references, strict=True)]
    changes += [(g, case[1], "case.claims_added") for g in plan.groups if (case := plan.case_of(g))]
    _write_audit(changes, case_ids, placement, actor)
    return Written(len(new_groups), len(opened), len(plan.groups) - len(opened), claims, references)


def _write_debtors(groups: list[DebtorGroup]) -> None:
    ids = allocate_ids(Debtor.__table__, len(groups))
    for group, debtor_id in zip(groups, ids, strict=True):
        group.debtor_id = debtor_id

    def rows() -> Iterator[dict]:
        for group in groups:
            first = group.first
            yield {
                "id": group.debtor_id,
                "kind": first.debtor_kind,
                "title": first.title,
                "company_name": first.company_name,
                "first_name": first.first_name,
                "last_name": first.last_name,
                "siren": first.siren,
            }

    insert_rows(Debtor.__table__, rows())


def _write_contacts(groups: list[DebtorGroup], known_debtors: set[int]) -> None:
    """Add each phone, e-mail and address of the rows that the debtor does not have yet."""
    columns = (
        ContactPoint.debtor_id,
        ContactPoint.kind,
        ContactPoint.value,
        ContactPoint.postcode,
        ContactPoint.address_line1,
    )
    # Only debtors known before this import can already have contact points.
    seen = {
        tuple(row)
        for row in select_in(sa.select(*columns), ContactPoint.debtor_id, known_debtors, sa.Integer)
    }

    def rows() -> Iterator[dict]:
        for group in groups:
            for record in group.records:
                for row in _contact_rows(group.debtor_id, record):
                    key = (row["debtor_id"], row["kind"], row["value"], row["postcode"], row["address_line1"])
                    if key not in seen:
                        seen.add(key)
                        yield row

    insert_rows(ContactPoint.__table__, rows())


def _contact_rows(debtor_id: int, record: Record) -> list[dict]:
    base = {
        "debtor_id": debtor_id,
        "source": "placement",
        "value": "",
        "postcode": "",
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "country": record.country,
    }
    rows = [base | {"kind": "phone", "value": phone} for phone in record.phones]
    rows += [
        base | {"kind": "email", "value": email} for email in (record.emails or (record.email,)) if email
    ]
    if record.address_line1 and record.postcode and record.city:
        rows.append(
            base
            | {
                "kind": "address",
                "address_line1": record.address_line1,
                "address_line2": record.address_line2,
                "postcode": record.postcode,
                "city": record.city,
            }
        )
    return rows


def _write_references(groups: list[DebtorGroup], client_id: int, known_debtors: set[int]) -> None:
    """Remember the client's customer number of each debtor, for matching its next placements."""
    wanted = {r.external_id: g.debtor_id for g in groups for r in g.records if r.external_id}
    select = sa.select(DebtorReference.external_id).where(DebtorReference.client_id == client_id)
    # A number already recorded keeps its debtor; only known debtors' numbers can be recorded already.
    known_numbers = [n for n, debtor_id in wanted.items() if debtor_id in known_debtors]
    for (number,) in select_in(select, DebtorReference.external_id, known_numbers):
        wanted.pop(number, None)
    insert_rows(
        DebtorReference.__table__,
        (
            {"debtor_id": debtor_id, "client_id": client_id, "external_id": number}
            for number, debtor_id in wanted.items()
        ),
    )


def _write_cases(
    groups: list[DebtorGroup], placement: Placement, today: date
) -> tuple[dict[int, int], list[str]]:
    references = allocate_references(today.year, len(groups))
    ids = allocate_ids(Case.__table__, len(groups))
    case_ids = {id(group): case_id for group, case_id in zip(groups, ids, strict=True)}

    def rows() -> Iterator[dict]:
        for group, case_id, reference in zip(groups, ids, references, strict=True):
            first = group.first
            yield {
                "id": case_id,
                "reference": reference,
                "client_id": placement.client_id,
                "debtor_id": group.debtor_id,
                "client_reference": first.external_id or "",
                "status": CaseStatus.NEW.value,
                "kind": (CaseKind.B2B if first.debtor_kind == "company" else CaseKind.B2C).value,
                "currency": first.currency,
                "opened_on": today,
                "placement_id": placement.id,
            }

    insert_rows(Case.__table__, rows())
    return case_ids, references


def _write_claims(groups: list[DebtorGroup], case_ids: dict[int, int], placement: Placement, actor) -> int:
    records = [(case_ids[id(g)], r) for g in groups for r in g.records]
    claim_ids = allocate_ids(Claim.__table__, len(records))
    client_id, actor_id = placement.client_id, actor.id if actor else None
    insert_rows(
        Claim.__table__,
        (
            {
                "id": claim_id,
                "case_id": case_id,
                "client_id": client_id,
                "currency": r.currency,
                "invoice_number": r.invoice_number,
                "issue_date": r.issue_date,
                "due_date": r.due_date,
                "amount_cents": r.amount_cents,
                "description": r.description,
                "placement_id": placement.id,
            }
            for (case_id, r), claim_id in zip(records, claim_ids, strict=True)
        ),
    )
    insert_rows(
        LedgerEntry.__table__,
        (
            {
                "case_id": case_id,
                "client_id": client_id,
                "currency": r.currency,
                "claim_id": claim_id,
                "kind": EntryKind.PRINCIPAL.value,
                "amount_cents": r.amount_cents,
                "effective_on": r.due_date,
                "description": f"Facture {r.invoice_number}",
                "created_by_id": actor_id,
            }
            for (case_id, r), claim_id in zip(records, claim_ids, strict=True)
        ),
    )
    return len(records)


def _write_audit(
    changes: list[tuple[DebtorGroup, str, str]],
    case_ids: dict[int, int],
    placement: Placement,
    actor: User | None,
) -> None:
    """One event per case, as if each had been opened or given its new invoices one by one."""
    label = (
        actor.email if actor else (f"api:{placement.api_token.prefix}" if placement.api_token else "system")
    )
    now, actor_id = utcnow(), actor.id if actor else None
    insert_rows(
        AuditEvent.__table__,
        (
            {
                "created_at": now,
                "actor_id": actor_id,
                "actor_label": label,
                "action": action,
                "subject_type": Case.__tablename__,
                "subject_id": case_ids[id(g)],
                "client_id": placement.client_id,
                "after": {"reference": reference, "claims": len(g.records), "placement_id": placement.id},
            }
            for g, reference, action in changes
        ),
    )
