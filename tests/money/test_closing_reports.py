"""Closing reports (restitution): produced once when a case closes, read back with pdftotext, a CSV line
that adds up, listed in the client's portal and in the next remittance statement."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.money import format_money
from cases.closing.closing import close_case
from cases.models import Action, Promise
from money.closing_reports.documents import reports_csv
from money.closing_reports.jobs import closing_report_job, missing_closing_reports_job
from money.closing_reports.reports import report_pdf
from money.models import ClosingReport
from money.remittances.documents import statement_pdf
from money.remittances.statements import run_remittances
from tests import factories
from tests.conftest import IsolatedClient, login

EVIDENCE = "Certificat d'irrecouvrabilité du commissaire de justice du 3 décembre 2026"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def euros(cents: int) -> str:
    return flat(format_money(cents, "EUR", locale="fr_FR"))


def flat(text: str) -> str:
    """pdftotext's text with every kind of space made one plain space (amounts use narrow no-break spaces)."""
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


def cents(text: str) -> int:
    return int(Decimal(text.replace(",", ".")) * 100)


@pytest.fixture
def worked_case(db_session, time_machine, run_jobs):
    """A business case placed on 2 November, worked (letter, call, SMS, promise, payment, a new address) and
    closed on 7 December 2026 as insolvent without assets."""
    time_machine.move_to("2026-11-02 09:00:00+01:00", tick=False)
    factories.agency_profile()
    creditor = factories.client(remittance_iban="FR7630006000011234567890189")
    case = factories.case(client_row=creditor, amounts=(80_000, 25_000), opened_on=date(2026, 11, 2), kind="b2b",
                          client_reference="CLI-4471")
    time_machine.move_to("2026-11-05 09:00:00+01:00", tick=False)
    factories.letter(case)
    time_machine.move_to("2026-11-20 11:00:00+01:00", tick=False)
    db.session.add_all([
        Action(case_id=case.id, kind="call", channel="phone", outcome="no_answer", done_at=datetime.now(UTC)),
        Action(case_id=case.id, kind="call", channel="phone", outcome="promise", done_at=datetime.now(UTC)),
        Action(case_id=case.id, kind="note", channel="internal", note="internal only", done_at=datetime.now(UTC)),
        Promise(case_id=case.id, amount_cents=20_000, due_on=date(2026, 11, 28), status="kept"),
    ])
    time_machine.move_to("2026-11-25 11:00:00+01:00", tick=False)
    db.session.add(Action(case_id=case.id, kind="sms", channel="sms", outcome="delivered", done_at=datetime.now(UTC)))
    time_machine.move_to("2026-11-28 15:00:00+01:00", tick=False)
    factories.payment(case, 20_000, date(2026, 11, 28))
    factories.postal_address(case.debtor, source="collector", address_line1="8 rue Neuve", postcode="69100",
                             city="Villeurbanne", is_primary=False)
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    manager = factories.user("manager")
    closing = close_case(case, "insolvent_no_assets", actor=manager, evidence=EVIDENCE)
    run_jobs()  # the report's job, asked by the closing (real mode: through the outbox and a worker)
    return case, closing


def report_of(closing) -> ClosingReport:
    return db.session.scalar(sa.select(ClosingReport).where(ClosingReport.closing_id == closing.id))


def test_closing_produces_the_report_and_its_pdf_holds_every_part(worked_case, tmp_path):
    case, closing = worked_case
    report = report_of(closing)
    assert report is not None and report.closed_on == date(2026, 12, 7)
    f = report.figures
    text = flat(pdf_text(report_pdf(report), tmp_path))
    assert report.reference in text and case.reference in text and "CLI-4471" in text
    # Why: the reason, its evidence (the client needs it to account for the loss), the amount written off.
    assert "Insolvable sans actif" in text and EVIDENCE in text
    assert closing.written_off_cents > 0 and f["written_off_cents"] == closing.written_off_cents
    assert euros(closing.written_off_cents) in text
    # What was owed, by part, at placement and at closing.
    assert f["owed"]["placement"]["principal"] == f["owed"]["closing"]["principal"] == 105_000
    assert f["owed"]["closing"]["interest"] > 0  # late interest between businesses, up to the closing day
    assert sum(f["owed"]["closing"].values()) == f["owed_total_cents"] == 105_000 + f["owed"]["closing"]["interest"] \
        + f["owed"]["closing"]["indemnity"] + f["owed"]["closing"]["cost"]
    for part in ("principal", "interest", "indemnity"):
        assert euros(f["owed"]["closing"][part]) in text
    assert euros(f["owed_total_cents"]) in text
    # What was collected, the commission, the net, still to be remitted.
    money = f["money"]
    assert money["collected_cents"] == 20_000 and euros(20_000) in text
    payment_commission = db.session.execute(sa.text(
        "SELECT commission_cents, commission_vat_cents FROM payment WHERE case_id = :c"), {"c": case.id}).one()
    assert money["commission_cents"] == payment_commission[0] > 0 and euros(money["commission_cents"]) in text
    assert money["net_cents"] == 20_000 - sum(payment_commission) and euros(money["net_cents"]) in text
    assert money["remitted_cents"] == 0 and money["to_remit_cents"] == money["net_cents"]
    # What was done, with dates: the letter, the calls, the SMS, the promise; never the internal note.
    assert "2 appel(s), 1 SMS, 0 e-mail(s), 1 courrier(s)" in text
    assert "05/11/2026" in text
    assert "20/11/2026" in text and "Pas de réponse" in text and "25/11/2026" in text
    assert "internal only" not in text
    assert "28/11/2026" in text and euros(20_000) in text
    # What was obtained: the new address, the acknowledgement.
    assert "8 rue Neuve, 69100 Villeurbanne" in text and "12 rue des Lilas" not in text  # the letter's, not found
    assert "1 promesse de paiement" in text


def test_the_csv_line_adds_up(worked_case):
    _case, closing = worked_case
    report = report_of(closing)
    rows = list(csv.reader(io.StringIO(reports_csv([report]).lstrip("\ufeff")), delimiter=";"))
    header, (line,) = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    amount = {name: cents(line[col[name]]) for name in ("Principal", "Intérêts", "Indemnité", "Frais", "Total dû",
                                                         "Encaissé", "Avoirs", "Abandonné", "Reste dû",
                                                         "Commission HT", "TVA", "Net pour le client",
                                                         "Reversé", "Reste à reverser")}
    assert line[col["Rapport"]] == report.reference and line[col["Motif"]] == "Insolvable sans actif"
    assert line[col["Clos le"]] == "07/12/2026"
    assert amount["Principal"] + amount["Intérêts"] + amount["Indemnité"] + amount["Frais"] == amount["Total dû"]
    assert amount["Encaissé"] + amount["Avoirs"] + amount["Abandonné"] + amount["Reste dû"] == amount["Total dû"]
    assert amount["Reste dû"] == 0 and amount["Abandonné"] == closing.written_off_cents
    assert amount["Encaissé"] - amount["Commission HT"] - amount["TVA"] == amount["Net pour le client"]
    assert amount["Reversé"] + amount["Reste à reverser"] == amount["Net pour le client"]
    assert (line[col["Appels"]], line[col["SMS"]], line[col["Courriers"]], line[col["Promesses"]]) == ("2", "1", "1", "1")


def test_produced_once_even_when_the_job_runs_again(worked_case):
    _case, closing = worked_case
    report = report_of(closing)
    assert closing_report_job(closing.id) == "not-due"
    assert missing_closing_reports_job() == 0
    reports = db.session.scalars(sa.select(ClosingReport).where(ClosingReport.case_id == closing.case_id)).all()
    assert reports == [report]


def test_a_case_paid_in_full_gets_its_report_from_the_sweep(db_session, time_machine, tmp_path, run_jobs):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    factories.agency_profile()
    case = factories.case(amounts=(30_000,), opened_on=date(2026, 11, 2))
    factories.payment(case, 30_000, date(2026, 12, 7))
    assert case.status == "paid"
    assert missing_closing_reports_job() == 1
    run_jobs()
    (report,) = db.session.scalars(sa.select(ClosingReport).where(ClosingReport.case_id == case.id)).all()
    assert report.reason_code == "paid_in_full" and report.closing_id is None
    text = flat(pdf_text(report_pdf(report), tmp_path))
    assert "Payé intégralement" in text and euros(30_000) in text
    assert missing_closing_reports_job() == 0  # once


def test_the_next_remittance_statement_lists_the_cases_closed(worked_case, tmp_path):
    case, closing = worked_case
    report = report_of(closing)
    (statement,) = run_remittances(date(2026, 12, 7), [case.client_id])
    text = flat(pdf_text(statement_pdf(statement), tmp_path))
    assert "Dossiers clos depuis le relevé précédent" in text
    section = text[text.index("Dossiers clos depuis le relevé précédent"):]
    assert f"07/12/2026 {report.reference} {case.reference}" in section
    assert "Insolvable sans" in section and euros(closing.written_off_cents) in section


def test_a_report_produced_after_its_periods_statement_goes_in_the_next_one(db_session, time_machine, run_jobs,
                                                                              tmp_path):
    time_machine.move_to("2026-11-02 09:00:00+01:00", tick=False)
    factories.agency_profile()
    creditor = factories.client(remittance_iban="FR7630006000011234567890189")
    case = factories.case(client_row=creditor, amounts=(50_000,), opened_on=date(2026, 11, 2), kind="b2b")
    other = factories.case(client_row=creditor, amounts=(30_000,), opened_on=date(2026, 11, 2), kind="b2b")
    time_machine.move_to("2026-11-20 09:00:00+01:00", tick=False)
    factories.payment(case, 10_000, date(2026, 11, 20))
    time_machine.move_to("2026-12-01 08:00:00+01:00", tick=False)
    (november,) = run_remittances(date(2026, 11, 30), [creditor.id])
    # Closed on 3 December as of 27 November (the day the search ended): after November's statement.
    time_machine.move_to("2026-12-03 10:00:00+01:00", tick=False)
    closing = close_case(case, "unfindable", actor=factories.user("manager"), evidence="Recherches vaines",
                         on=date(2026, 11, 27))
    run_jobs()
    report = report_of(closing)
    assert report.closed_on == date(2026, 11, 27)
    time_machine.move_to("2026-12-10 10:00:00+01:00", tick=False)
    factories.payment(other, 5_000, date(2026, 12, 10))
    time_machine.move_to("2027-01-01 08:00:00+01:00", tick=False)
    (december,) = run_remittances(date(2026, 12, 31), [creditor.id])
    assert report.reference in flat(pdf_text(statement_pdf(december), tmp_path))
    assert report.reference not in flat(pdf_text(statement_pdf(november), tmp_path))


def test_the_client_sees_its_reports_and_another_clients_user_gets_404(worked_case, app, db_session):
    case, closing = worked_case
    report = report_of(closing)
    own = factories.user("client", client=case.client)
    other = factories.user("client", client=factories.client())
    db_session.commit()
    app.test_client_class = IsolatedClient
    web = app.test_client()
    assert login(web, own.email).status_code == 302
    page = web.get("/closing-reports?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert report.reference in page
    assert web.get(f"/closing-reports/{report.id}.pdf").status_code == 200
    body = web.get("/closing-reports/closed-cases.csv?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert report.reference in body
    stranger = app.test_client()
    assert login(stranger, other.email).status_code == 302
    assert stranger.get(f"/closing-reports/{report.id}.pdf").status_code == 404
    assert report.reference not in stranger.get("/closing-reports?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert report.reference not in stranger.get("/closing-reports/closed-cases.csv?from=2026-12-01&to=2026-12-31"
                                                ).get_data(as_text=True)
