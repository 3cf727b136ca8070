"""Writing a checked placement plan in bulk: debtors, contact points, cases, claims, ledger, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.bulk import allocate_ids, insert_rows
from agency.db import db, utcnow
from agency.models import AuditEvent, User
from cases.models import Case, CaseKind, CaseStatus, Claim, EntryKind, LedgerEntry
from cases.placement.matching import DebtorGroup
from cases.placement.models import Placement
from cases.placement.plan import Plan
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
    client_id = placement.client_id
    new_groups = [g for g in plan.groups if g.debtor_id is None]
    _write_debtors(new_groups)
    _write_contacts(plan.groups)
    _write_references(plan.groups, client_id)
    opened = [g for g in plan.groups if plan.case_of(g) is None]
    case_ids, references = _write_cases(opened, placement, today)
    for group in plan.groups:
        existing = plan.case_of(group)
        if existing:
            case_ids[id(group)] = existing[0]
    claims = _write_claims(plan.groups, case_ids, placement, actor)
    _write_audit(opened, case_ids, references, placement, actor)
    return Written(len(new_groups), len(opened), len(plan.groups) - len(opened), claims, references)


def _write_debtors(groups: list[DebtorGroup]) -> None:
    ids = allocate_ids(Debtor.__table__, len(groups))
    rows = []
    for group, debtor_id in zip(groups, ids, strict=True):
        first = group.first
        group.debtor_id = debtor_id
        rows.append(
            {
                "id": debtor_id,
                "kind": first.debtor_kind,
                "company_name": first.company_name,
                "first_name": first.first_name,
                "title": first.title,
                "last_name": first.last_name,
                "siren": first.siren,
            }
        )
    insert_rows(Debtor.__table__, rows)


def _write_contacts(groups: list[DebtorGroup]) -> None:
    """Add each phone, e-mail and address of the rows that the debtor does not have yet."""
    debtor_ids = [g.debtor_id for g in groups]
    known: set[tuple] = set()
    for start in range(0, len(debtor_ids), 5000):
        known.update(
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    ContactPoint.debtor_id,
                    ContactPoint.kind,
                    ContactPoint.value,
                    ContactPoint.postcode,
                    ContactPoint.address_line1,
                ).where(ContactPoint.debtor_id.in_(debtor_ids[start : start + 5000]))
            )
        )
    rows = []
    for group in groups:
        for record in group.records:
            for row in _contact_rows(group.debtor_id, record):
                key = (row["debtor_id"], row["kind"], row["value"], row["postcode"], row["address_line1"])
                if key not in known:
                    known.add(key)
                    rows.append(row)
    ids = allocate_ids(ContactPoint.__table__, len(rows))
    insert_rows(ContactPoint.__table__, [row | {"id": i} for row, i in zip(rows, ids, strict=True)])


def _contact_rows(debtor_id: int, record) -> list[dict]:
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
    if record.email:
        rows.append(base | {"kind": "email", "value": record.email})
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


def _write_references(groups: list[DebtorGroup], client_id: int) -> None:
    """Remember the client's customer number of each debtor, for matching its next placements."""
    pairs = {(r.external_id, g.debtor_id) for g in groups for r in g.records if r.external_id}
    known = set()
    numbers = [p[0] for p in pairs]
    for start in range(0, len(numbers), 5000):
        known.update(
            db.session.scalars(
                sa.select(DebtorReference.external_id).where(
                    DebtorReference.client_id == client_id,
                    DebtorReference.external_id.in_(numbers[start : start + 5000]),
                )
            )
        )
    rows, seen = [], set()
    for external_id, debtor_id in sorted(pairs):
        if external_id not in known and external_id not in seen:
            seen.add(external_id)
            rows.append({"debtor_id": debtor_id, "client_id": client_id, "external_id": external_id})
    ids = allocate_ids(DebtorReference.__table__, len(rows))
    insert_rows(DebtorReference.__table__, [row | {"id": i} for row, i in zip(rows, ids, strict=True)])


def _write_cases(
    groups: list[DebtorGroup], placement: Placement, today: date
) -> tuple[dict[int, int], list[str]]:
    references = allocate_references(today.year, len(groups))
    ids = allocate_ids(Case.__table__, len(groups))
    rows, case_ids = [], {}
    for group, case_id, reference in zip(groups, ids, references, strict=True):
        first = group.first
        case_ids[id(group)] = case_id
        rows.append(
            {
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
        )
    insert_rows(Case.__table__, rows)
    return case_ids, references


def _write_claims(groups: list[DebtorGroup], case_ids: dict[int, int], placement: Placement, actor) -> int:
    records = [(case_ids[id(g)], r) for g in groups for r in g.records]
    claim_ids = allocate_ids(Claim.__table__, len(records))
    entry_ids = allocate_ids(LedgerEntry.__table__, len(records))
    claims, entries = [], []
    for (case_id, record), claim_id, entry_id in zip(records, claim_ids, entry_ids, strict=True):
        common = {"case_id": case_id, "client_id": placement.client_id, "currency": record.currency}
        claims.append(
            common
            | {
                "id": claim_id,
                "invoice_number": record.invoice_number,
                "issue_date": record.issue_date,
                "due_date": record.due_date,
                "amount_cents": record.amount_cents,
                "description": record.description,
                "placement_id": placement.id,
            }
        )
        entries.append(
            common
            | {
                "id": entry_id,
                "claim_id": claim_id,
                "kind": EntryKind.PRINCIPAL.value,
                "amount_cents": record.amount_cents,
                "effective_on": record.due_date,
                "description": f"Facture {record.invoice_number}",
                "created_by_id": actor.id if actor else None,
            }
        )
    insert_rows(Claim.__table__, claims)
    insert_rows(LedgerEntry.__table__, entries)
    return len(claims)


def _write_audit(
    opened: list[DebtorGroup],
    case_ids: dict[int, int],
    references: list[str],
    placement: Placement,
    actor: User | None,
) -> None:
    """One `case.opened` event per new case, like cases opened one by one."""
    label = (
        actor.email if actor else (f"api:{placement.api_token.prefix}" if placement.api_token else "system")
    )
    now = utcnow()
    rows = [
        {
            "created_at": now,
            "actor_id": actor.id if actor else None,
            "actor_label": label,
            "action": "case.opened",
            "subject_type": Case.__tablename__,
            "subject_id": case_ids[id(g)],
            "client_id": placement.client_id,
            "after": {"reference": ref, "claims": len(g.records), "placement_id": placement.id},
        }
        for g, ref in zip(opened, references, strict=True)
    ]
    ids = allocate_ids(AuditEvent.__table__, len(rows))
    insert_rows(AuditEvent.__table__, [row | {"id": i} for row, i in zip(rows, ids, strict=True)])
