"""Writing a checked placement plan in bulk: debtors, contact points, cases, claims, ledger, audit.

Rows are built as plain dicts and streamed to `agency.bulk.RowStream` (COPY on PostgreSQL): at
100,000 invoices, ORM objects would cost minutes and gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.bulk import RowStream, allocate_ids, select_in
from agency.db import utcnow
from agency.models import AuditEvent, User
from cases.models import Case, CaseKind, CaseStatus, Claim, EntryKind, LedgerEntry
from cases.placement.matching import DebtorGroup
from cases.placement.models import Placement
from cases.placement.plan import Plan
from cases.placement.rows import Record
from cases.references import allocate_references
from debtors.folding import search_name_of
from debtors.models import ContactPoint, ContactSource, Debtor, DebtorReference


@dataclass(frozen=True)
class Written:
    debtors: int
    cases_created: int
    cases_updated: int
    claims: int
    references: list[str]  # of the cases created


def write_plan(plan: Plan, placement: Placement, actor: User | None, today: date) -> Written:
    """Write every accepted row of `plan` for `placement`'s client; the caller commits (one transaction)."""
    known = {
        g.debtor_id for g in plan.groups if g.debtor_id is not None
    }  # matched before anything is written
    new_groups = [g for g in plan.groups if g.debtor_id is None]
    opened = [g for g in plan.groups if plan.case_of(g) is None]
    # Everything read or reserved first: while the rows stream, the connection is busy with them.
    for group, debtor_id in zip(new_groups, allocate_ids(Debtor.__table__, len(new_groups)), strict=True):
        group.debtor_id = debtor_id
    seen_contacts = _known_contacts(known)
    numbers = _new_customer_numbers(plan.groups, placement.client_id, known)
    references = allocate_references(today.year, len(opened))
    case_ids = dict(zip(map(id, opened), allocate_ids(Case.__table__, len(opened)), strict=True))
    for group in plan.groups:
        if existing := plan.case_of(group):
            case_ids[id(group)] = existing[0]
    records = [(case_ids[id(g)], r) for g in plan.groups for r in g.records]
    claim_ids = allocate_ids(Claim.__table__, len(records))
    changes = [(g, reference, "case.opened") for g, reference in zip(opened, references, strict=True)]
    changes += [(g, case[1], "case.claims_added") for g in plan.groups if (case := plan.case_of(g))]
    context = _Context(
        placement.id, placement.client_id, actor.id if actor else None, _actor_label(placement, actor)
    )
    with RowStream() as stream:
        stream.write(Debtor.__table__, _debtor_rows(new_groups))
        stream.write(ContactPoint.__table__, _new_contact_rows(plan.groups, seen_contacts, today))
        stream.write(DebtorReference.__table__, _reference_rows(numbers, placement.client_id))
        stream.write(Case.__table__, _case_rows(opened, case_ids, references, context, today))
        stream.write(Claim.__table__, _claim_rows(records, claim_ids, context))
        stream.write(LedgerEntry.__table__, _ledger_rows(records, claim_ids, context))
        stream.write(AuditEvent.__table__, _audit_rows(changes, case_ids, context))
    return Written(len(new_groups), len(opened), len(plan.groups) - len(opened), len(records), references)


@dataclass(frozen=True)
class _Context:
    """What every written row repeats, read before the stream starts (no lazy load while it runs)."""

    placement_id: int
    client_id: int
    actor_id: int | None
    actor_label: str


def _actor_label(placement: Placement, actor: User | None) -> str:
    if actor is not None:
        return actor.email
    return f"api:{placement.api_token.prefix}" if placement.api_token else "system"


def _debtor_rows(groups: list[DebtorGroup]) -> Iterator[dict]:
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
            # COPY skips the model's events: the folded name the search reads is set here.
            "search_name": search_name_of(first.first_name, first.last_name, first.company_name),
        }


_CONTACT_KEY = (
    ContactPoint.debtor_id,
    ContactPoint.kind,
    ContactPoint.value,
    ContactPoint.postcode,
    ContactPoint.address_line1,
)


def _contact_key(debtor_id: int, kind: str, value: str, postcode: str, address_line1: str) -> tuple:
    # "12 rue des Lilas" and "12  RUE DES LILAS" are one address: a later file must not add it again.
    return debtor_id, kind, value, postcode, " ".join(address_line1.split()).casefold()


def _known_contacts(known_debtors: set[int]) -> set[tuple]:
    """Return the contact points of the debtors known before this import (only they can have some)."""
    return {
        _contact_key(*row)
        for row in select_in(sa.select(*_CONTACT_KEY), ContactPoint.debtor_id, known_debtors, sa.Integer)
    }


def _new_contact_rows(groups: list[DebtorGroup], seen: set[tuple], today: date) -> Iterator[dict]:
    """Yield each phone, e-mail and address of the rows that the debtor does not have yet.

    A known debtor's new address, phone or e-mail is added beside those on file, given by the client on the day
    of the import; whether it is better than the old one is the collector's judgement.
    """
    for group in groups:
        for record in group.records:
            for row in _contact_rows(group.debtor_id, record, today):
                key = _contact_key(row["debtor_id"], row["kind"], row["value"], row["postcode"], row["address_line1"])
                if key not in seen:
                    seen.add(key)
                    yield row


def _contact_rows(debtor_id: int, record: Record, today: date) -> list[dict]:
    base = {
        "debtor_id": debtor_id,
        "source": ContactSource.CLIENT.value,
        "learned_on": today,
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


def _new_customer_numbers(
    groups: list[DebtorGroup], client_id: int, known_debtors: set[int]
) -> dict[str, int]:
    """Return the client's customer numbers to remember (number -> debtor), for its next placements."""
    wanted = {r.external_id: g.debtor_id for g in groups for r in g.records if r.external_id}
    select = sa.select(DebtorReference.external_id).where(DebtorReference.client_id == client_id)
    # A number already recorded keeps its debtor; only known debtors' numbers can be recorded already.
    known_numbers = [n for n, debtor_id in wanted.items() if debtor_id in known_debtors]
    for (number,) in select_in(select, DebtorReference.external_id, known_numbers):
        wanted.pop(number, None)
    return wanted


def _reference_rows(numbers: dict[str, int], client_id: int) -> Iterator[dict]:
    for number, debtor_id in numbers.items():
        yield {"debtor_id": debtor_id, "client_id": client_id, "external_id": number}


def _case_rows(
    groups: list[DebtorGroup], case_ids: dict[int, int], references: list[str], context: _Context, today: date
) -> Iterator[dict]:
    for group, reference in zip(groups, references, strict=True):
        first = group.first
        yield {
            "id": case_ids[id(group)],
            "reference": reference,
            "client_id": context.client_id,
            "debtor_id": group.debtor_id,
            "client_reference": first.external_id or "",
            "status": CaseStatus.NEW.value,
            "kind": (CaseKind.B2B if first.debtor_kind == "company" else CaseKind.B2C).value,
            "currency": first.currency,
            "opened_on": today,
            "placement_id": context.placement_id,
        }


def _claim_rows(records: list[tuple[int, Record]], claim_ids: list[int], context: _Context) -> Iterator[dict]:
    for (case_id, r), claim_id in zip(records, claim_ids, strict=True):
        yield {
            "id": claim_id,
            "case_id": case_id,
            "client_id": context.client_id,
            "currency": r.currency,
            "invoice_number": r.invoice_number,
            "issue_date": r.issue_date,
            "due_date": r.due_date,
            "amount_cents": r.amount_cents,
            "description": r.description,
            "placement_id": context.placement_id,
        }


def _ledger_rows(
    records: list[tuple[int, Record]], claim_ids: list[int], context: _Context
) -> Iterator[dict]:
    for (case_id, r), claim_id in zip(records, claim_ids, strict=True):
        yield {
            "case_id": case_id,
            "client_id": context.client_id,
            "currency": r.currency,
            "claim_id": claim_id,
            "kind": EntryKind.PRINCIPAL.value,
            "amount_cents": r.amount_cents,
            "effective_on": r.due_date,
            "description": f"Facture {r.invoice_number}",
            "created_by_id": context.actor_id,
        }


def _audit_rows(
    changes: list[tuple[DebtorGroup, str, str]], case_ids: dict[int, int], context: _Context
) -> Iterator[dict]:
    """One event per case, as if each had been opened or given its new invoices one by one."""
    now = utcnow()
    for group, reference, action in changes:
        yield {
            "created_at": now,
            "actor_id": context.actor_id,
            "actor_label": context.actor_label,
            "action": action,
            "subject_type": Case.__tablename__,
            "subject_id": case_ids[id(group)],
            "client_id": context.client_id,
            "after": {
                "reference": reference,
                "claims": len(group.records),
                "placement_id": context.placement_id,
            },
        }
