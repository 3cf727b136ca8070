"""The references of the bulk-written tables hold on both databases: a row pointing at a missing
parent, or at another client's case, is refused even among valid rows of one bulk write; referenced
rows are never deleted and their keys never change."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from agency.audit import record
from agency.bulk import insert_rows
from agency.db import SET_BASED_KEYS, db, utcnow
from agency.models import AuditEvent
from cases.models import Case, Claim, LedgerEntry
from cases.models.limitation import ClaimLimitation
from debtors.models import ContactPoint, Debtor, DebtorReference
from tests import factories

MISSING = 10**8  # an id no table of a test reaches

# key -> (table, {column: value of the bad row, given the fixtures' rows})
BAD = {
    "fk_contact_point_debtor_id_debtor": (ContactPoint, lambda w: {"debtor_id": MISSING}),
    "fk_debtor_reference_client_id_client": (DebtorReference, lambda w: {"client_id": MISSING}),
    "fk_debtor_reference_debtor_id_debtor": (DebtorReference, lambda w: {"debtor_id": MISSING}),
    "fk_collection_case_client_id_client": (Case, lambda w: {"client_id": MISSING}),
    "fk_collection_case_debtor_id_debtor": (Case, lambda w: {"debtor_id": MISSING}),
    "fk_collection_case_placement_id_placement": (Case, lambda w: {"placement_id": MISSING}),
    # Tenancy: a claim or an entry attached to a case of another client.
    "fk_claim_case_client": (Claim, lambda w: {"client_id": w["other_client"].id}),
    "fk_claim_placement_id_placement": (Claim, lambda w: {"placement_id": MISSING}),
    "fk_ledger_entry_case_client": (LedgerEntry, lambda w: {"client_id": w["other_client"].id}),
    # An entry of one case for a claim of another case.
    "fk_ledger_entry_claim_case": (LedgerEntry, lambda w: {"claim_id": w["other_case"].claims[0].id}),
    "fk_ledger_entry_created_by_id_user_account": (LedgerEntry, lambda w: {"created_by_id": MISSING}),
    "fk_audit_event_actor_id_user_account": (AuditEvent, lambda w: {"actor_id": MISSING}),
    "fk_audit_event_client_id_client": (AuditEvent, lambda w: {"client_id": MISSING}),
    # A claim's limitation under another client's case, or under a case the claim is not of.
    "fk_claim_limitation_case_client": (ClaimLimitation, lambda w: {
        "claim_id": w["second_case"].claims[0].id, "case_id": w["second_case"].id,
        "client_id": w["other_client"].id}),
    "fk_claim_limitation_claim_case": (ClaimLimitation, lambda w: {"claim_id": w["other_case"].claims[0].id}),
}

# Columns that must differ between two copies of a row (unique constraints).
_UNIQUE = {"reference", "invoice_number", "external_id"}


@pytest.fixture
def world(db_session):
    client = factories.client()
    debtor = factories.debtor()
    factories.contact(debtor)
    case = factories.case(client_row=client, debtor_row=debtor)
    db_session.add(DebtorReference(debtor_id=debtor.id, client_id=client.id, external_id="C-1"))
    record("case.opened", subject=case, actor=factories.user())
    db_session.flush()
    return {
        "client": client,
        "case": case,
        "other_client": factories.client(),
        "other_case": factories.case(),
        "second_case": factories.case(client_row=client),
    }


def test_every_set_based_key_is_tested():
    assert set(BAD) == SET_BASED_KEYS


def _copies(model, world: dict, changes: dict) -> list[dict]:
    """Return two copies of the table's row of `world`'s client: a valid one, then one with `changes`."""
    if model is ClaimLimitation:  # written by the daily job only: no row in `world`, the first case's claim
        case = world["case"]
        row = {"claim_id": case.claims[0].id, "case_id": case.id, "client_id": case.client_id, "period_years": 2,
               "started_on": date(2026, 1, 1), "event_kind": "due_date", "suspended_days": 0,
               "limitation_on": date(2028, 1, 1), "computed_at": utcnow()}
        return [row, row | changes]
    table = model.__table__
    select = sa.select(table).order_by(table.c.id.desc()).limit(1)
    if "client_id" in table.c:
        select = select.where(table.c.client_id == world["client"].id)
    row = dict(db.session.execute(select).mappings().one())
    row.pop("id")
    copies = []
    for n, extra in enumerate(({}, changes)):
        copy = row | {c: f"{row[c]}-{n}" for c in _UNIQUE & row.keys()} | extra
        copies.append(copy)
    return copies


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bulk_write_with_one_bad_reference_writes_nothing(db_session, world, key):
    model, bad = BAD[key]
    rows = _copies(model, world, bad(world))
    count = sa.select(sa.func.count()).select_from(model)
    before = db_session.scalar(count)
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        insert_rows(model.__table__, rows)
    if db_session.connection().dialect.name == "postgresql":  # SQLite does not name the key
        assert key in str(refused.value)
    assert db_session.scalar(count) == before
    insert_rows(model.__table__, rows[:1])  # the valid copy alone is written
    assert db_session.scalar(count) == before + 1


def _refused(session, statement) -> str:
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        session.execute(statement)
    return str(refused.value)


@pytest.mark.parametrize("model", [Debtor, Case, Claim])
def test_referenced_rows_are_never_deleted(db_session, world, model):
    row = {Debtor: world["case"].debtor, Case: world["case"], Claim: world["case"].claims[0]}[model]
    _refused(db_session, sa.delete(model).where(model.id == row.id))
    assert db_session.get(model, row.id) is not None


def test_a_debtor_without_cases_is_not_deleted_either(db_session):
    debtor = factories.debtor()
    assert "never deleted" in _refused(db_session, sa.delete(Debtor).where(Debtor.id == debtor.id))


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Case, lambda w: {"client_id": w["other_client"].id}),
        (Case, lambda w: {"debtor_id": w["other_case"].debtor_id}),
        (Claim, lambda w: {"case_id": w["other_case"].id}),
        (ContactPoint, lambda w: {"debtor_id": w["other_case"].debtor_id}),
    ],
)
def test_references_never_change(db_session, world, model, values):
    """A case stays with its client and debtor, a claim with its case, a contact point with its debtor."""
    table = model.__table__
    select = sa.select(table.c.id).order_by(table.c.id.desc()).limit(1)
    if model is ContactPoint:
        select = select.where(table.c.debtor_id == world["case"].debtor_id)
    else:
        select = select.where(table.c.client_id == world["client"].id)
    row_id = db_session.scalar(select)
    assert "never change" in _refused(
        db_session, sa.update(model).where(model.id == row_id).values(**values(world))
    )


def test_other_columns_of_referenced_rows_still_change(db_session, world):
    case = world["case"]
    db_session.execute(
        sa.update(Case).where(Case.id == case.id).values(client_reference="X-9", status="active")
    )
    db_session.execute(
        sa.update(Case).where(Case.id == case.id).values(client_id=case.client_id)
    )  # unchanged
    db_session.expire_all()
    assert db_session.get(Case, case.id).client_reference == "X-9"
