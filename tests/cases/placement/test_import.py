"""From a received file to cases: preview, confirmation, import, idempotence, matching, failures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases import ledger
from cases.models import Case, Claim, LedgerEntry
from cases.placement.models import Placement
from cases.placement.placements import (
    PlacementError,
    cancel_placement,
    check_placement,
    confirm_placement,
    import_placement,
)
from debtors.models import ContactPoint, Debtor, DebtorReference
from tests import factories

HEADER = "N° facture;Date facture;Échéance;Montant TTC;Raison sociale;SIREN;Email;Téléphone;Code client;Adresse;Code postal;Ville\n"


def csv_file(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n"


ROWS = (
    "F-001;02/01/2026;01/02/2026;1 234,56;Boulangerie Martin SARL;732829320;compta@martin.example.com;04 78 12 34 56;C1;3 rue Neuve;69002;Lyon",
    "F-002;05/01/2026;04/02/2026;100,00;Boulangerie Martin SARL;732829320;;;C1;;;",
    "F-003;05/01/2026;04/02/2026;49,90;DUPONT Jean;;jean.dupont@example.com;06 12 34 56 78;C2;8 place Bellecour;69002;Lyon",
)


def count(model) -> int:
    from agency.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def run(client, content: str) -> Placement:
    placement = factories.placement(client, content)
    check_placement(placement)
    return placement


def test_preview_counts_and_writes_nothing(db_session):
    client = factories.client()
    before = {m: count(m) for m in (Case, Claim, Debtor, LedgerEntry)}
    placement = run(client, csv_file(*ROWS))
    assert (placement.rows_total, placement.rows_valid, placement.rows_rejected) == (3, 3, 0)
    assert (placement.cases_to_create, placement.debtors_to_create, placement.total_cents) == (2, 2, 138_446)
    assert {m: count(m) for m in before} == before


def test_confirmed_import_opens_one_case_per_debtor_with_ledger_and_audit(db_session):
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    confirm_placement(placement, None)
    written = import_placement(placement, None)
    db_session.flush()
    assert (written.cases_created, written.claims, written.debtors) == (2, 3, 2)
    cases = db_session.scalars(sa.select(Case).where(Case.placement_id == placement.id).order_by(Case.id)).all()
    assert [c.reference for c in cases] == written.references
    martin = next(c for c in cases if c.debtor.kind == "company")
    assert martin.kind == "b2b" and martin.client_reference == "C1" and martin.debtor.siren == "732829320"
    assert sorted(c.invoice_number for c in martin.claims) == ["F-001", "F-002"]
    assert ledger.balance(martin.id).principal == 133_456
    kinds = {(cp.kind, cp.value) for cp in martin.debtor.contact_points}
    assert ("phone", "+33478123456") in kinds and ("email", "compta@martin.example.com") in kinds
    assert db_session.scalar(sa.select(DebtorReference.external_id).where(DebtorReference.debtor_id == martin.debtor_id)) == "C1"
    opened = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.opened",
                                                            AuditEvent.subject_id.in_([c.id for c in cases]))).all()
    assert len(opened) == 2
    assert placement.status == "imported"


def test_cancel_writes_nothing_and_cannot_be_confirmed_after(db_session):
    client = factories.client()
    before = count(Case)
    placement = run(client, csv_file(*ROWS))
    cancel_placement(placement, None)
    assert placement.status == "cancelled" and count(Case) == before
    with pytest.raises(PlacementError):
        confirm_placement(placement, None)


def test_same_file_twice_creates_no_duplicate_and_reports_amount_changes(db_session):
    client = factories.client()
    first = run(client, csv_file(*ROWS))
    confirm_placement(first, None)
    import_placement(first, None)
    changed = ROWS[0].replace("1 234,56", "1 300,00")
    second = run(client, csv_file(changed, *ROWS[1:]))
    assert (second.rows_valid, second.rows_already_placed) == (0, 3)
    differs = {a["invoice_number"]: a["amount_differs"] for a in second.report["already_placed"]}
    assert differs == {"F-001": True, "F-002": False, "F-003": False}
    with pytest.raises(PlacementError):
        confirm_placement(second, None)


def test_known_debtors_are_matched_and_new_invoices_join_their_open_case(db_session):
    client = factories.client()
    first = run(client, csv_file(*ROWS))
    confirm_placement(first, None)
    import_placement(first, None)
    debtors_before = count(Debtor)
    by_external = "F-010;01/03/2026;31/03/2026;10,00;Boulangerie Martin;;;;C1;;;"
    by_siren_other_client_name = "F-011;01/03/2026;31/03/2026;20,00;BOULANGERIE MARTIN;732829320;;;;;;"
    by_phone_and_name = "F-012;01/03/2026;31/03/2026;30,00;Jean Dupont;;;+33612345678;;;;"
    same_name_other_phone = "F-013;01/03/2026;31/03/2026;40,00;Jean Dupont;;;06 99 88 77 66;;;;"
    second = run(client, csv_file(by_external, by_siren_other_client_name, by_phone_and_name, same_name_other_phone))
    assert (second.debtors_matched, second.debtors_to_create, second.cases_to_update, second.cases_to_create) == (2, 1, 2, 1)
    confirm_placement(second, None)
    import_placement(second, None)
    assert count(Debtor) == debtors_before + 1
    martin_case = db_session.scalar(sa.select(Case).join(Claim).where(Claim.invoice_number == "F-001"))
    assert {c.invoice_number for c in martin_case.claims} == {"F-001", "F-002", "F-010", "F-011"}
    added = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.claims_added",
                                                          AuditEvent.subject_id == martin_case.id))
    assert added.after["claims"] == 2 and added.after["placement_id"] == second.id


def test_refused_without_a_mandate_in_force(db_session):
    client = factories.client(with_mandate=False)
    with pytest.raises(PlacementError, match="R124-3"):
        factories.placement(client, csv_file(*ROWS))
    assert count(Placement) == 0 or db_session.scalar(sa.select(sa.func.count()).select_from(Placement).where(Placement.client_id == client.id)) == 0


def test_rejected_rows_are_reported_and_only_valid_rows_import(db_session):
    client = factories.client()
    bad = [
        "F-020;02/01/2026;;10,00;Client A SARL;;;;;;;",
        "F-021;02/01/2026;01/02/2026;dix euros;Client B SARL;;;;;;;",
        "F-022;02/01/2026;01/02/2026;-5,00;Client C SARL;;;;;;;",
        "F-023;02/01/2026;31/02/2026;5,00;Client D SARL;;;;;;;",
        "F-024;02/01/2026;01/02/2026;5,00;Client E SARL;123456789;;;;;;",
        "F-025;02/01/2026;01/02/2026;5,00;Client F SARL;;;01 23;;;;",
        "F-001;02/01/2026;01/02/2026;5,00;Client G SARL;;;;;;;",
    ]
    placement = run(client, csv_file(ROWS[0], *bad))
    codes = {(r["line"], r["code"]) for r in placement.report["rejections"]}
    assert codes == {(3, "missing"), (4, "not_a_number"), (5, "negative_amount"), (6, "impossible_date"),
                     (7, "invalid_siren"), (8, "invalid_phone"), (9, "duplicate_in_file")}
    assert (placement.rows_valid, placement.rows_rejected) == (1, 7)
    confirm_placement(placement, None)
    written = import_placement(placement, None)
    assert written.claims == 1


def _fail_on_ledger_insert(session) -> None:
    """Make the database refuse the import's last writes (a real failure, raised by the database)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.description = 'Facture F-003' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$"))
        session.execute(sa.text("CREATE TRIGGER boom BEFORE INSERT ON ledger_entry FOR EACH ROW EXECUTE FUNCTION boom()"))
    else:
        session.execute(sa.text(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON ledger_entry WHEN NEW.description = 'Facture F-003' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))


def test_a_failing_import_writes_nothing_and_says_why(app, db_session):
    from agency.jobs import JobFailed, enqueue
    from cases.placement.jobs import import_placement_job

    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    confirm_placement(placement, None)
    db_session.commit()
    before = {m: count(m) for m in (Case, Claim, Debtor, LedgerEntry, ContactPoint, DebtorReference)}
    _fail_on_ledger_insert(db_session)
    db_session.commit()
    with pytest.raises(Exception, match="disk full"):
        if app.config["REDIS_URL"]:
            import_placement_job(placement.id, None)
        else:
            try:
                enqueue(import_placement_job, placement.id, None)
            except JobFailed as exc:
                raise RuntimeError(str(exc)) from exc
    db_session.expire_all()
    failed = db_session.get(Placement, placement.id)
    assert failed.status == "failed" and "disk full" in failed.error
    assert {m: count(m) for m in before} == before


def test_an_invoice_placed_between_check_and_import_is_never_doubled(db_session):
    """The API and the shell import the plan of their check: the database still refuses a double."""
    from sqlalchemy.exc import IntegrityError

    client = factories.client()
    placement = factories.placement(client, csv_file(*ROWS))
    plan = check_placement(placement)
    confirm_placement(placement, None)
    other = factories.case(client_row=client)
    db_session.add(Claim(case=other, client_id=client.id, invoice_number="F-001", issue_date=other.opened_on,
                         due_date=other.opened_on, amount_cents=1))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        import_placement(placement, None, checked=plan)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Claim).where(
        Claim.client_id == client.id, Claim.invoice_number == "F-001")) == 1


def _stored_file(placement, **values) -> None:
    from agency.db import db
    from cases.placement.models import PlacementFile

    db.session.execute(sa.update(PlacementFile).where(PlacementFile.placement_id == placement.id).values(**values))


def test_the_import_uses_the_rows_the_check_parsed(db_session):
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    # The file cannot be read any more: only the kept rows can give the import its invoices.
    _stored_file(placement, content=b"\x00 not a placement file")
    confirm_placement(placement, None)
    written = import_placement(placement, None)
    assert (written.cases_created, written.claims) == (2, 3)
    amounts = db_session.scalars(sa.select(Claim.amount_cents).where(Claim.placement_id == placement.id)).all()
    assert sorted(amounts) == [4_990, 10_000, 123_456]


def test_without_kept_rows_the_import_parses_the_file_again(db_session):
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    _stored_file(placement, checked_rows=None)
    confirm_placement(placement, None)
    assert import_placement(placement, None).claims == 3


def test_kept_rows_round_trip_every_field(db_session):
    from cases.placement import checked as checked_store
    from cases.placement.plan import check_rows
    from cases.placement.reader import read_table

    many = [f"G-{n};02/01/2026;01/02/2026;{n},5;Société n°{n};;;;;;;" for n in range(1, 2_501)]  # several lines
    table = read_table(csv_file(*ROWS, "F-001;02/01/2026;;x;;;;;;;;", *many).encode(), "f.csv")
    mapping = factories.placement(factories.client(), csv_file(*ROWS)).mapping
    rows = check_rows(table, mapping)
    again = checked_store.load(checked_store.dump(rows))
    assert again.accepted == rows.accepted and again.rejections == rows.rejections
    assert again.rows_total == rows.rows_total == 2_504 and len(again.accepted) == 2_503
    assert again.accepted[0].phones == ("+33478123456",) and again.accepted[-1].company_name == "Société n°2500"


def test_kept_rows_of_an_older_format_are_parsed_again(db_session):
    import zlib

    from cases.placement import checked as checked_store

    older = zlib.compress(b'{"version":2,"rows_total":3,"rejections":[],"settled":null}\n[]\n')
    assert checked_store.load(older) is None
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    _stored_file(placement, checked_rows=older)
    confirm_placement(placement, None)
    assert import_placement(placement, None).claims == 3


ALREADY_PLACED_QUERY = "claim.amount_cents, collection_case.reference"  # the settlement's first look
FILE_QUERY = "placement_file.content"


class _Statements:
    """The SQL the database receives while the block runs."""

    def __init__(self, session):
        self.engine, self.seen = session.get_bind().engine, []

    def _record(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    def ran(self, fragment: str) -> bool:
        return any(fragment in statement for statement in self.seen)


def test_an_unchanged_database_lets_the_import_reuse_the_checks_matching(db_session):
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    confirm_placement(placement, None)
    with _Statements(db_session) as sql:
        import_placement(placement, None)
    assert not sql.ran(ALREADY_PLACED_QUERY)  # nothing settled again
    assert placement.cases_to_create == 2 and count(Debtor) >= 2


def test_a_debtor_known_between_check_and_import_is_matched_not_duplicated(db_session):
    client = factories.client()
    placement = run(client, csv_file(*ROWS))
    assert placement.debtors_to_create == 2
    # Meanwhile another file of the client brings Boulangerie Martin (same SIREN) and is imported.
    other = run(client, csv_file("F-900;02/01/2026;01/02/2026;10,00;Boulangerie Martin SARL;732829320;;;;;;"))
    confirm_placement(other, None)
    import_placement(other, None)
    confirm_placement(placement, None)
    with _Statements(db_session) as sql:
        written = import_placement(placement, None)
    assert sql.ran(ALREADY_PLACED_QUERY)  # settled again
    assert (written.debtors, written.cases_created, written.cases_updated) == (1, 1, 1)
    assert db_session.scalar(sa.select(sa.func.count()).where(Debtor.siren == "732829320")) == 1
    martin = db_session.scalar(sa.select(Case).join(Claim).where(Claim.invoice_number == "F-900"))
    assert sorted(c.invoice_number for c in martin.claims) == ["F-001", "F-002", "F-900"]


def test_a_check_in_the_process_that_received_the_file_does_not_read_it_again(db_session):
    client = factories.client()
    placement = factories.placement(client, csv_file(*ROWS))
    with _Statements(db_session) as sql:
        check_placement(placement)
    assert not sql.ran(FILE_QUERY) and placement.rows_valid == 3


def test_a_check_elsewhere_reads_the_stored_file(db_session):
    client = factories.client()
    placement_id = factories.placement(client, csv_file(*ROWS)).id
    db_session.expunge_all()  # as a worker process would: the received table is not at hand
    placement = db_session.get(Placement, placement_id)
    with _Statements(db_session) as sql:
        check_placement(placement)
    assert sql.ran(FILE_QUERY) and placement.rows_valid == 3
