"""Closing many cases at once: references set aside with why, the others closed by the job, each with its own
write-off, closing and audit event; nothing closed when the reason lacks its evidence."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.db import db
from cases.closing.bulk import ask_batch, close_batch_job
from cases.closing.closing import ClosingError
from cases.ledger import balances
from cases.models import Case, CaseClosing, ClosingBatch, LedgerEntry, Promise
from tests import factories
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def test_the_job_closes_each_case_as_if_one_by_one(db_session, run_jobs):
    factories.agency_profile()  # the closing reports print it
    cases = [factories.case(amounts=(10_000 * (n + 1),)) for n in range(5)]
    promise = Promise(case=cases[1], amount_cents=5_000, due_on=date(2026, 12, 20), status="pending")
    db.session.add(promise)
    paid = factories.case(amounts=(5_000,))
    factories.payment(paid, 5_000, receipt=False)
    manager = factories.user("manager")
    references = "\n".join(c.reference for c in cases) + f", {paid.reference}; D99-999999\n{cases[0].reference}"
    batch = ask_batch(references, "unfindable", evidence="Liste des retours NPAI de novembre", actor=manager)
    assert len(batch.case_ids) == 5
    assert sorted((s["reference"], s["why"]) for s in batch.skipped) == sorted([("D99-999999", "not_found"),
                                                                                (paid.reference, "paid")])
    close_batch_job(batch.id)
    run_jobs()  # real mode: the chunk's closing reports
    db.session.expire_all()
    ids = [c.id for c in cases]
    assert set(db.session.scalars(sa.select(Case.status).where(Case.id.in_(ids)))) == {"closed"}
    assert all(b.outstanding == 0 for b in balances(ids).values())
    closings = db.session.scalars(sa.select(CaseClosing).where(CaseClosing.case_id.in_(ids))).all()
    assert sorted(c.written_off_cents for c in closings) == [10_000, 20_000, 30_000, 40_000, 50_000]
    write_offs = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "write_off")).all()
    assert {e.id for e in write_offs} == {c.write_off_entry_id for c in closings}
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.closed")).all()
    assert sorted(e.subject_id for e in events) == sorted(ids)
    promise = db.session.get(Promise, promise.id)  # cancelled as a single closing cancels it, with its event
    assert promise.status == "cancelled" and promise.resolved_at is not None
    cancelled = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "promise.cancelled"))
    assert cancelled.subject_id == promise.id and cancelled.client_id == cases[1].client_id
    from money.models import ClosingReport
    reported = db.session.scalars(sa.select(ClosingReport.closing_id)).all()
    assert sorted(reported) == sorted(c.id for c in closings)  # one closing report each
    batch = db.session.get(ClosingBatch, batch.id)
    assert batch.status == "done" and batch.closed_count == 5 and batch.written_off_cents == 150_000
    from cases.closing.closing import reopen_case
    reopen_case(db.session.get(Case, ids[0]), reason="Adresse retrouvée", actor=manager)
    assert balances([ids[0]])[ids[0]].outstanding == 10_000  # a bulk closing reopens like any other


def test_a_reason_without_evidence_or_no_reference_is_refused(db_session):
    manager = factories.user("manager")
    case = factories.case()
    with pytest.raises(ClosingError) as missing:
        ask_batch(case.reference, "deceased_no_estate", evidence="", actor=manager)
    assert missing.value.field == "evidence"
    with pytest.raises(ClosingError) as empty:
        ask_batch(" \n ", "below_minimum", evidence="", actor=manager)
    assert empty.value.field == "references"
    assert db.session.query(ClosingBatch).count() == 0


def test_from_the_page_with_a_file_of_references(app, db_session, run_jobs):
    cases = [factories.case() for _ in range(3)]
    manager = factories.user("manager")
    db_session.commit()
    browser = signed_in(app, manager)
    token = csrf_token(browser, "/closings/bulk")
    file = io.BytesIO(("reference\n" + "\n".join(c.reference for c in cases)).encode())
    response = browser.post("/closings/bulk", data={"csrf_token": token, "reason": "below_minimum", "evidence": "",
                                                    "file": (file, "dossiers.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    run_jobs()
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 dossiers clos" in page and "REFERENCE" in page  # the header line is set aside as not found
    assert signed_in(app, factories.user("collector")).get("/closings/bulk").status_code == 403
