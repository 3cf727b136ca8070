"""The judicial file: every field a clerk looks for, read back from the PDF; stored like letters; tenant-scoped."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from agency.money import format_money
from cases.judicial.documents import add_document
from cases.judicial.pack import PARTS, prepare_pack, render_pack
from cases.judicial.proceedings import JudicialError, approve_by_manager, decide_by_client, propose
from cases.letters.storage import read_document
from cases.models import Promise
from tests import factories
from tests.cases.judicial.helpers import TODAY, ready_case
from tests.cases.letters.reading import flat, pdf_text, render_png

LOOK = os.environ.get("PACK_LOOK_DIR")  # set to a folder to keep the packs' pages as PNG


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def approved(case):
    """Propose the suggested route on `case` and give both approvals."""
    proceeding = propose(case, actor=factories.user("collector"))
    approve_by_manager(proceeding, actor=factories.user("manager"))
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    return proceeding


def b2b_proceeding(amounts=(400_000, 250_000, 180_050)):
    case = ready_case(amounts=amounts, kind="b2b", debtor_kind="company", claims_indemnity=True)
    case.client.legal_form, case.client.siren = "SAS", "732829320"
    case.client.representative = "Mme Claire Roux, présidente"
    return approved(case)


def euros(cents: int) -> str:
    return flat(format_money(cents))


def look(data: bytes, stem: str) -> None:
    if LOOK:
        render_png(data, Path(LOOK), stem)


def test_the_request_holds_every_field_of_the_form(db_session):
    proceeding = b2b_proceeding()
    agency = factories.agency_profile()
    whole, parts, data = render_pack(proceeding, agency, TODAY)
    look(whole, "b2b")
    text = pdf_text(parts[0])
    assert proceeding.form == "Cerfa 12946*02"
    for expected in ("Requête en injonction de payer", "Président du tribunal de commerce", "Cerfa 12946*02",
                     proceeding.case.client.name, "SAS", "732 829 320", "1 rue de la Paix", "Mme Claire Roux",
                     "Cabinet Arnaud Recouvrement", "RCS Lyon 831 457 296", "mandataire",
                     proceeding.case.debtor.company_name, "12 rue des Lilas", "1408"):
        assert expected in text, expected
    for invoice in data.invoices:
        assert invoice.claim.invoice_number in text
    for amount in ("4 000,00 €", "2 500,00 €", "1 800,50 €", "8 300,50 €"):
        assert amount in text, amount
    # Interest from the day after each due date, at ECB + 10 points per half-year, and €40 per invoice.
    first = data.invoices[0]
    assert first.interest_from == date(2026, 1, 1) and first.interest.total_cents > 0
    assert "01/01/2026" in text and "%" in text
    assert text.count("40,00 €") >= 3 and data.indemnity_cents == 12_000
    assert data.total_cents == data.principal_cents + data.interest_cents + 12_000
    assert euros(data.total_cents) in text
    assert data.lines[-1].balance == data.total_cents  # the statement ends on the amount claimed


def test_the_statement_and_the_bordereau_list_everything(db_session):
    proceeding = b2b_proceeding(amounts=(300_000, 200_000))
    case = proceeding.case
    agency = factories.agency_profile()
    factories.payment(case, 50_000, received_on=date(2026, 10, 1), receipt=False)
    db.session.add(Promise(case=case, amount_cents=20_000, due_on=date(2026, 10, 20), status="broken"))
    contract = add_document(proceeding, _pdf_file(), "contrat.pdf", kind="contract", title="Contrat cadre 2025",
                            actor=factories.user("collector"))
    _, parts, data = render_pack(proceeding, agency, TODAY)
    statement, bordereau = pdf_text(parts[1]), pdf_text(parts[2], layout=False)
    assert "Décompte" in statement and "Paiement reçu" in statement and "500,00 €" in statement
    assert data.lines[-1].balance == data.total_cents
    assert euros(data.total_cents) in statement
    assert "Bordereau" in bordereau or "pièces" in bordereau
    for exhibit in data.exhibits:
        assert f"{exhibit.number} " in bordereau
    for expected in (contract.title, case.claims[0].invoice_number, case.claims[1].invoice_number,
                     "Mise en demeure MED-J-", "envoyée le 02/11/2026", "Promesse de paiement",
                     "Paiement partiel reçu"):
        assert expected in bordereau, expected
    assert [e.title for e in data.exhibits][0].endswith("Contrat cadre 2025")  # the basis of the claim first


def test_small_claims_and_referral_get_their_own_request(db_session):
    agency = factories.agency_profile()
    small = approved(ready_case(amounts=(150_000,)))
    text = pdf_text(render_pack(small, agency, TODAY)[1][0])
    assert "petite créance" in text and "commissaire de justice" in text.lower() and "1408" not in text


def test_preparing_stores_a_new_file_each_time_and_is_audited(db_session, time_machine):
    proceeding = b2b_proceeding()
    agency = factories.agency_profile()
    collector = factories.user("collector")
    started = time.perf_counter()
    prepare_pack(proceeding, agency, actor=collector)
    print(f"pack of 3 invoices: {time.perf_counter() - started:.2f} s")
    first = proceeding.pack_path
    assert proceeding.pack_on == TODAY and len(proceeding.pack_sha256) == 64
    assert read_document(first, proceeding.pack_sha256).startswith(b"%PDF")
    assert set(proceeding.pack_parts) == set(PARTS)
    time_machine.move_to("2026-12-09 10:00:00+01:00", tick=False)
    prepare_pack(proceeding, agency, actor=collector)
    assert proceeding.pack_path != first and proceeding.pack_on == date(2026, 12, 9)
    assert read_document(first, _sha_of(first))  # the earlier file is still there, unchanged
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "judicial.pack_prepared")).all()
    assert len(events) == 2


def test_no_pack_before_both_approvals_nor_for_a_past_filing_date(db_session):
    case = ready_case()
    proceeding = propose(case, actor=None)
    agency = factories.agency_profile()
    with pytest.raises(JudicialError, match="approuvée"):
        prepare_pack(proceeding, agency, actor=factories.user("collector"))
    proceeding = b2b_proceeding()
    with pytest.raises(JudicialError) as refused:
        prepare_pack(proceeding, agency, actor=factories.user("collector"), on=date(2026, 12, 1))
    assert refused.value.field == "pack_on"


def test_a_pack_of_twenty_invoices_renders(db_session):
    proceeding = b2b_proceeding(amounts=tuple(100_000 + 1_234 * n for n in range(20)))
    agency = factories.agency_profile()
    started = time.perf_counter()
    whole, parts, data = render_pack(proceeding, agency, TODAY)
    print(f"pack of 20 invoices: {time.perf_counter() - started:.2f} s, {len(whole)} bytes")
    look(whole, "twenty")
    text = pdf_text(whole)
    assert all(i.claim.invoice_number in text for i in data.invoices) and len(data.exhibits) == 21


def _pdf_file():
    import io

    return io.BytesIO(b"%PDF-1.4\n% contrat\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def _sha_of(path: str) -> str:
    import hashlib

    from cases.letters.storage import documents_dir

    return hashlib.sha256((documents_dir() / path).read_bytes()).hexdigest()
