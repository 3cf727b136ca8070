"""The monthly report: figures counted by hand equal the PDF and the CSV, the job runs once per client, scope."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.clock import today
from agency.db import db
from agency.models import AuditEvent, Mandate
from cases.intake import ClaimInput, open_case
from cases.letters.storage import documents_dir, read_document
from cases.models import Action, CaseKind, CaseStatus, Promise
from cases.work.disputes import open_dispute
from money.payments.payments import reverse_payment
from reports.facts import refresh_figures
from reports.jobs import monthly_reports_batch_job, monthly_reports_job
from reports.models import MonthlyReport
from reports.monthly import produce_report, render_report
from reports.monthly_figures import clients_due, clients_figures, month_end, previous_month
from tests import factories

MAY = date(2026, 5, 1)


def _case(client_row, opened_on: date, due_on: date, cents: int, name: str):
    claim = ClaimInput(invoice_number=f"MR-{client_row.id}-{name}", issue_date=date(2026, 1, 1), due_date=due_on,
                       amount_cents=cents)
    return open_case(client=client_row, debtor=factories.debtor(last_name=name), kind=CaseKind.B2C, claims=[claim],
                     opened_on=opened_on, actor=None)


def _action(case, kind: str, at: datetime, outcome: str = "") -> None:
    from agency.db import db

    db.session.add(Action(case_id=case.id, kind=kind, channel="phone" if kind == "call" else kind, status="done",
                          direction="outbound", outcome=outcome, done_at=at))


@pytest.fixture
def may(db_session):
    """Alpha's May 2026: two cases placed, payments (one reversed, one direct), one paid off, one closed, a dispute."""
    alpha, beta = factories.client(name="Alpha SAS"), factories.client(name="Beta SARL")
    a = _case(alpha, date(2026, 5, 4), date(2026, 4, 1), 100_000, "Aubert")
    b = _case(alpha, date(2026, 5, 6), date(2026, 3, 15), 30_000, "Bernard")
    c = _case(alpha, date(2026, 2, 10), date(2026, 1, 10), 50_000, "Colin")
    d = _case(alpha, date(2026, 3, 1), date(2026, 2, 1), 8_000, "Durand")
    factories.payment(a, 20_000, received_on=date(2026, 5, 10), receipt=False)
    reversed_one = factories.payment(a, 5_000, received_on=date(2026, 5, 12), receipt=False)
    reverse_payment(reversed_one, reason="chèque impayé", on=date(2026, 5, 20), actor=None)
    factories.payment(a, 3_000, received_on=date(2026, 5, 15), channel="direct", receipt=False)
    factories.payment(a, 4_000, received_on=date(2026, 6, 3), receipt=False)  # June: not May's
    factories.payment(b, 30_000, received_on=date(2026, 5, 25), receipt=False)  # paid off in May
    factories.payment(c, 10_000, received_on=date(2026, 4, 20), receipt=False)  # April: not May's
    hold = open_dispute(c, actor=None, reason="Facture contestée")
    hold.started_at = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
    d.status, d.closed_on, d.closed_reason = CaseStatus.CLOSED.value, date(2026, 5, 28), "uncollectable"
    # 23:30 UTC on 30 April is 01:30 on 1 May in Paris: a May contact.
    _action(a, "call", datetime(2026, 4, 30, 23, 30, tzinfo=UTC), "no_answer")
    _action(a, "call", datetime(2026, 5, 11, 10, 0, tzinfo=UTC), "right_party")
    _action(a, "call", datetime(2026, 5, 12, 10, 0, tzinfo=UTC), "voicemail")
    _action(a, "sms", datetime(2026, 5, 13, 10, 0, tzinfo=UTC))
    _action(a, "call", datetime(2026, 6, 2, 10, 0, tzinfo=UTC), "right_party")  # June
    db_session.add(Promise(case_id=a.id, amount_cents=10_000, due_on=date(2026, 5, 30), status="kept",
                           created_at=datetime(2026, 5, 11, 10, 5, tzinfo=UTC)))
    db_session.add(Promise(case_id=a.id, amount_cents=6_000, due_on=date(2026, 5, 5), status="broken",
                           created_at=datetime(2026, 4, 25, 10, 0, tzinfo=UTC)))
    other = _case(beta, date(2026, 5, 5), date(2026, 4, 5), 9_000, "Bouvier")
    factories.payment(other, 7_000, received_on=date(2026, 5, 8), receipt=False)
    factories.agency_profile()
    db_session.commit()
    refresh_figures()
    db_session.commit()
    return {"alpha": alpha, "beta": beta, "a": a, "b": b}


def _pdf_text(report) -> str:
    data = read_document(report.pdf_path, report.pdf_sha256)
    assert data.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().replace("\u202f", " ").replace("\u00a0", " ").split())


def _csv(report) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(report.csv_text.lstrip("\ufeff")), delimiter=";"))
    return {r[0]: r[1] for r in rows if len(r) >= 2}


def test_figures_counted_by_hand(may):
    report = produce_report(may["alpha"].id, MAY)
    f = report.figures
    assert f["placed"] == {"cases": 2, "cents": 130_000}
    # 200 + 50 − 50 reversed + 300 through the agency, 30 paid directly; June's 40 and April's 100 are not May's.
    assert f["collected"] == {"trust": 50_000, "direct": 3_000, "total": 53_000}
    # Cases opened 1 Jan–31 May: 1 880 placed, 270 + 300 + 100 collected = 670 → 35,6 %.
    assert (f["recovery"]["placed"], f["recovery"]["collected"], f["recovery"]["rate"]) == (188_000, 67_000, "35.6")
    assert f["closed"] == {"paid": 1, "unpaid": 1}
    assert f["disputes"] == 1
    # On 31 May: case A owes 1 000 − 230 (due 60 days before: 31–60), C 500 − 100 (141 days: 91–180).
    assert {k: v["cents"] for k, v in f["aged"]["buckets"].items() if v["cents"]} == {"31-60": 77_000, "91-180": 40_000}
    assert f["aged"]["total"] == {"cents": 117_000, "cases": 2}
    assert f["contacts"] == {"attempts": 4, "calls": 3, "right_party": 1, "promises": 1, "promised_cents": 10_000,
                             "due": 2, "kept": 1}
    assert [(p["date"], p["cents"], p["channel"], p["reversal"]) for p in f["payments"]] == [
        ("2026-05-10", 20_000, "trust", False), ("2026-05-12", 5_000, "trust", False),
        ("2026-05-15", 3_000, "direct", False), ("2026-05-20", -5_000, "trust", True),
        ("2026-05-25", 30_000, "trust", False)]
    # May's placements collected 530 of 1 300 in their first month.
    may_curve = next(c for c in f["curves"] if c["month"] == "2026-05-01")
    assert (may_curve["placed"], may_curve["collected"], may_curve["points"]) == (130_000, [53_000], ["40.8"])
    assert {c["month"] for c in f["curves"]} == {"2026-02-01", "2026-03-01", "2026-05-01"}


def test_pdf_and_csv_carry_the_same_figures(may):
    report = produce_report(may["alpha"].id, MAY)
    text = _pdf_text(report)
    assert "Rapport" in text and "mai 2026" in text and "Alpha SAS" in text
    for expected in ("Dossiers confiés dans le mois 2", "Montant confié dans le mois (principal) 1 300,00 €",
                     "Encaissé par l'agence (net des paiements annulés) 500,00 €", "Reçu directement par vous 30,00 €",
                     "Total recouvré dans le mois 530,00 €", "Dossiers soldés dans le mois 1",
                     "Dossiers clos sans paiement complet dans le mois 1", "35,6 %",
                     "670,00 € recouvrés sur 1 880,00 €", "Appels avec le débiteur joint 1",
                     "Tentatives de contact (appels, SMS, courriels, courriers) 4", "Promesses de paiement obtenues 1 (100,00 €)",
                     "31–60 jours 1 770,00 €", "91–180 jours 1 400,00 €", "Total 2 1 170,00 €",
                     "-50,00 €"):
        assert expected in text, expected
    assert "AUBERT" in text and "BERNARD" in text and "BOUVIER" not in text  # no other client's debtor
    cells = _csv(report)
    assert cells["Dossiers confiés dans le mois"] == "2"
    assert cells["Montant confié dans le mois"] == "1300,00"
    assert cells["Encaissé par l'agence dans le mois (net des annulations)"] == "500,00"
    assert cells["Reçu directement par le créancier dans le mois"] == "30,00"
    assert cells["Total recouvré dans le mois"] == "530,00"
    assert cells["Taux de recouvrement des dossiers confiés du 01/01/2026 au 31/05/2026"] == "35,6"
    assert cells["Dossiers soldés dans le mois"] == "1" and cells["Contestations en cours en fin de mois"] == "1"
    assert cells["Encours au 31/05/2026, total"] == "1170,00"
    assert cells["Courbe de liquidation, dossiers confiés en 05/2026"] == "40,8"
    assert cells["Appels avec le débiteur joint"] == "1"
    lines = [r for r in csv.reader(io.StringIO(report.csv_text.lstrip("\ufeff")), delimiter=";") if len(r) == 7]
    payments = [r for r in lines[1:] if r[0] != "TOTAL"]
    assert [r[6] for r in payments] == ["200,00", "50,00", "30,00", "-50,00", "300,00"]
    assert lines[-1][0] == "TOTAL" and lines[-1][6] == "530,00"


def test_the_english_pdf_carries_the_same_figures(may):
    report = produce_report(may["alpha"].id, MAY)
    english = render_report(report.figures, report.produced_at, "en")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=english, capture_output=True, check=True)
    text = " ".join(out.stdout.decode().split())
    assert "Total collected in the month €530.00" in text and "35.6" in text and "Outstanding on 31 May 2026" in text


def test_a_long_month_lists_its_first_payments_and_sends_to_the_csv_for_the_rest(may):
    report = produce_report(may["alpha"].id, MAY)
    count = len(report.figures["payments"])
    assert count >= 2
    short = render_report(report.figures, report.produced_at, "fr", payment_lines=1)
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=short, capture_output=True, check=True)
    text = " ".join(out.stdout.decode().replace("\u202f", " ").replace("\u00a0", " ").split())
    assert f"et {count - 1} autres paiements : la liste complète est dans le fichier CSV" in text
    assert "Total 530,00 €" in text  # the total stays the month's, whatever the lines shown


def test_the_job_produces_one_report_per_client_once(db_session, run_jobs):
    month = previous_month(today())
    with_mandate, with_case = factories.client(name="Mandat SA"), factories.client(name="Dossiers SA")
    nothing = factories.client(name="Rien SA", with_mandate=False)
    # A mandate that starts after the month: nothing to report on yet.
    later = factories.client(name="Plus tard SA", with_mandate=False)
    db_session.add(Mandate(client=later, reference="MAN-LATER", signed_on=month, starts_on=month_end(month) + timedelta(days=1)))
    factories.case(with_case, opened_on=month)
    # A mandate ended and removed since: its cases alone still earn the client a report.
    db_session.execute(sa.delete(Mandate).where(Mandate.client_id == with_case.id))
    db_session.commit()
    due = clients_due(month)
    assert with_mandate.id in due and with_case.id in due and not {nothing.id, later.id} & set(due)
    monthly_reports_job()
    run_jobs()
    produced = db_session.scalars(sa.select(MonthlyReport).where(MonthlyReport.month == month)).all()
    assert {r.client_id for r in produced} >= {with_mandate.id, with_case.id}
    assert nothing.id not in {r.client_id for r in produced}
    count = len(produced)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "reports.monthly_produced")) == count
    assert monthly_reports_job() == 0
    run_jobs()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MonthlyReport)
                             .where(MonthlyReport.month == month)) == count
    assert clients_due(month) == []


def test_figures_read_for_a_batch_of_clients_equal_each_client_read_alone(may):
    alpha, beta = may["alpha"], may["beta"]
    batch = clients_figures([alpha.id, beta.id], MAY)
    assert batch[alpha.id] == clients_figures([alpha.id], MAY)[alpha.id]
    assert batch[beta.id] == clients_figures([beta.id], MAY)[beta.id]
    # Nothing of one client's month leaks into the other's.
    assert [(p["debtor"], p["cents"]) for p in batch[beta.id]["payments"]] == [("Jeanne BOUVIER", 7_000)]
    assert batch[beta.id]["collected"]["total"] == 7_000 and batch[beta.id]["contacts"]["attempts"] == 0
    assert batch[beta.id]["aged"]["total"] == {"cents": 2_000, "cases": 1}
    assert batch[alpha.id]["collected"]["total"] == 53_000


def test_a_report_that_fails_holds_up_nobody_else_and_is_retried(may, app):
    alpha, beta = may["alpha"], may["beta"]
    # A file where beta's folder should be: storing beta's PDF fails, as a full or broken disk would.
    blocker = documents_dir() / "monthly" / str(beta.id)
    shutil.rmtree(blocker, ignore_errors=True)  # an earlier test's documents, of a database since emptied
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match=f"clients \\[{beta.id}\\]"):
        monthly_reports_batch_job([alpha.id, beta.id], MAY.isoformat())
    produced = {r.client_id for r in db.session.scalars(sa.select(MonthlyReport).where(MonthlyReport.month == MAY))}
    assert produced == {alpha.id}
    blocker.unlink()
    # The retry finds only beta's report left to do.
    assert monthly_reports_batch_job([alpha.id, beta.id], MAY.isoformat()) == 1
    reports = db.session.scalars(sa.select(MonthlyReport).where(MonthlyReport.month == MAY)).all()
    assert sorted(r.client_id for r in reports) == sorted([alpha.id, beta.id])


def test_the_portal_lists_its_own_reports_only(may, client, login_as):
    mine = produce_report(may["alpha"].id, MAY)
    theirs = produce_report(may["beta"].id, MAY)
    login_as("client", may["alpha"])
    page = client.get("/reports/monthly").get_data(as_text=True)
    assert f'data-report="{mine.id}"' in page and f'data-report="{theirs.id}"' not in page
    assert "Rapports mensuels" in page and "530,00" in page
    pdf = client.get(f"/reports/monthly/{mine.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/reports/monthly/{mine.id}.csv").get_data(as_text=True) == mine.csv_text
    assert client.get(f"/reports/monthly/{theirs.id}.pdf").status_code == 404
    assert client.get(f"/reports/monthly/{theirs.id}.csv").status_code == 404
    assert client.get(f"/reports/monthly?client={may['beta'].id}").status_code == 404


def test_managers_see_every_client_and_filter(may, client, login_as):
    alpha = produce_report(may["alpha"].id, MAY)
    beta = produce_report(may["beta"].id, MAY)
    login_as("manager")
    page = client.get("/reports/monthly").get_data(as_text=True)
    assert f'data-report="{alpha.id}"' in page and f'data-report="{beta.id}"' in page
    filtered = client.get(f"/reports/monthly?client={may['beta'].id}").get_data(as_text=True)
    assert f'data-report="{beta.id}"' in filtered and f'data-report="{alpha.id}"' not in filtered
    assert client.get("/reports/monthly?client=999999").status_code == 404
    assert client.get(f"/reports/monthly/{beta.id}.csv").status_code == 200


def test_collectors_may_not_open_them(may, client, login_as):
    report = produce_report(may["alpha"].id, MAY)
    login_as("collector")
    assert client.get("/reports/monthly").status_code == 403
    assert client.get(f"/reports/monthly/{report.id}.pdf").status_code == 403
