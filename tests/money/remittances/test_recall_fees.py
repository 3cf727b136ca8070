"""The mandate's fee for a recalled case is a line of the client's next statement: once per recall, with its
VAT, lowering the net; charged once the recall took effect, never while its notice runs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.closing.recall import close_due_recalls, recall_case
from money.closing_reports.figures import gather
from money.closing_reports.reports import report_pdf
from money.models import ClosingReport, LineKind, Remittance, RemittanceLine
from money.remittances.documents import statement_csv, statement_pdf
from money.remittances.statements import run_remittances
from tests import factories
from tests.money.remittances.conftest import pay
from tests.money.remittances.test_documents import cents, pdf_text, total_after

FEE, FEE_VAT = 6_000, 1_200  # €60 excl. VAT, 20 % VAT


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-03-10 10:00:00+01:00", tick=False)


def recall_terms(client_row, *, fee: int = FEE, notice: int = 0) -> None:
    mandate = client_row.mandates[0]
    mandate.recall_fee_cents, mandate.recall_notice_days = fee, notice
    db.session.flush()


def recall(case, on: date = date(2026, 3, 10)):
    client_user = factories.user("client", client=case.client)
    return recall_case(case, reason="Le client reprend le dossier", actor=client_user, on=on)


def lines_of(remittance: Remittance) -> list[RemittanceLine]:
    return db.session.scalars(sa.select(RemittanceLine).where(RemittanceLine.remittance_id == remittance.id)
                              .order_by(RemittanceLine.id)).all()


def recall_fee_lines() -> list[RemittanceLine]:
    return db.session.scalars(sa.select(RemittanceLine).where(RemittanceLine.kind == LineKind.RECALL_FEE.value)
                              .order_by(RemittanceLine.id)).all()


def test_the_fee_is_one_line_with_its_vat_and_lowers_the_net(db_session, creditor):
    recall_terms(creditor)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 50_000, date(2026, 3, 3))
    taken = recall(case)
    assert (taken.status, taken.fee_cents, taken.fee_vat_cents) == ("closed", FEE, FEE_VAT)

    (march,) = run_remittances(date(2026, 3, 31), [creditor.id])
    payment, fixed_fee, fee = lines_of(march)
    assert (payment.kind, fixed_fee.kind, fee.kind) == ("payment", "fixed_fee", "recall_fee")
    assert (fee.case_id, fee.recall_id, fee.payment_id, fee.channel, fee.occurred_on) == (
        case.id, taken.id, None, "trust", date(2026, 3, 10))
    assert (fee.amount_cents, fee.commission_cents, fee.vat_cents) == (0, FEE, FEE_VAT)
    # 15 % of €500 and the €25 fee per case, each with 20 % VAT, then the recall fee with its own.
    assert march.trust_collected_cents == 50_000
    assert march.commission_cents == 7_500 + 2_500 + FEE
    assert march.vat_cents == 1_500 + 500 + FEE_VAT
    assert march.net_cents == 50_000 - 9_000 - 3_000 - FEE - FEE_VAT == 30_800

    assert run_remittances(date(2026, 3, 31), [creditor.id]) == []
    assert run_remittances(date(2026, 4, 30), [creditor.id]) == []  # nothing left: a rerun adds nothing
    assert [line.id for line in recall_fee_lines()] == [fee.id]


def test_a_statement_for_an_earlier_period_leaves_the_fee_for_the_next(db_session, creditor):
    recall_terms(creditor)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 10_000, date(2026, 2, 20))
    recall(case)  # takes effect on 10 March, after February's end

    (february,) = run_remittances(date(2026, 2, 28), [creditor.id])
    assert [line.kind for line in lines_of(february)] == ["payment", "fixed_fee"]
    (march,) = run_remittances(date(2026, 3, 31), [creditor.id])
    assert [line.kind for line in lines_of(march)] == ["recall_fee"]
    assert (march.period_start, march.trust_collected_cents, march.commission_cents, march.vat_cents,
            march.net_cents) == (date(2026, 3, 1), 0, FEE, FEE_VAT, -FEE - FEE_VAT)


def test_a_client_with_only_a_recall_fee_pending_gets_a_statement(db_session, creditor):
    recall_terms(creditor)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    taken = recall(case)

    (statement,) = run_remittances(date(2026, 3, 31))
    assert statement.client_id == creditor.id and statement.period_start == taken.effective_on
    [line] = lines_of(statement)
    assert (line.kind, line.recall_id, line.commission_cents, line.vat_cents) == (
        "recall_fee", taken.id, FEE, FEE_VAT)
    # Nothing collected: the fee is the client's balance due to the agency.
    assert (statement.commission_cents, statement.vat_cents, statement.net_cents) == (FEE, FEE_VAT, -7_200)
    assert run_remittances(date(2026, 4, 30)) == []


def test_a_recall_without_a_fee_adds_no_line(db_session, creditor, time_machine):
    recall_terms(creditor, fee=0)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    taken = recall(case)
    assert (taken.status, taken.fee_cents) == ("closed", 0)
    assert run_remittances(date(2026, 3, 31), [creditor.id]) == []  # no statement for nothing

    time_machine.move_to("2026-04-02 10:00:00+02:00", tick=False)
    other = factories.case(client_row=creditor, amounts=(30_000,))
    pay(other, 10_000, date(2026, 4, 2))
    (april,) = run_remittances(date(2026, 4, 30), [creditor.id])
    assert [line.kind for line in lines_of(april)] == ["payment", "fixed_fee"] and recall_fee_lines() == []


def test_a_recall_is_charged_only_once_it_took_effect(db_session, creditor, time_machine):
    recall_terms(creditor, notice=30)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 10_000, date(2026, 3, 3))
    taken = recall(case)
    assert (taken.status, taken.effective_on) == ("pending", date(2026, 4, 9))

    (march,) = run_remittances(date(2026, 3, 31), [creditor.id])  # the notice runs: no fee
    assert [line.kind for line in lines_of(march)] == ["payment", "fixed_fee"]

    # The notice is over but the daily job has not closed the case yet: still not charged.
    time_machine.move_to("2026-04-15 10:00:00+02:00", tick=False)
    assert taken.status == "pending"
    assert run_remittances(date(2026, 4, 14), [creditor.id]) == [] and recall_fee_lines() == []

    assert close_due_recalls(date(2026, 4, 15)) == 1 and taken.status == "closed"
    (april,) = run_remittances(date(2026, 4, 30), [creditor.id])
    [fee] = lines_of(april)
    assert (fee.kind, fee.recall_id, fee.occurred_on, fee.commission_cents, fee.vat_cents) == (
        "recall_fee", taken.id, date(2026, 4, 9), FEE, FEE_VAT)
    assert april.period_start == date(2026, 4, 1) and april.net_cents == -FEE - FEE_VAT


def test_the_statement_pdf_page_and_csv_show_the_recall_fee(db_session, creditor, client, login_as, tmp_path):
    factories.agency_profile()
    recall_terms(creditor)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 50_000, date(2026, 3, 3))
    recall(case)
    (statement,) = run_remittances(date(2026, 3, 31), [creditor.id])

    text = pdf_text(statement_pdf(statement), tmp_path)
    assert "Frais de retrait" in text
    fee_row = next(line for line in text.splitlines() if case.reference in line and "10/03/2026" in line)
    assert re.sub(r"[\s\u202f\u00a0]+", " ", fee_row).endswith(" 60,00 € 12,00 €")  # the fee, then its VAT
    assert total_after(text, "dont frais de retrait") == FEE
    assert total_after(text, "Commission HT (forfaits") == statement.commission_cents
    assert total_after(text, "TVA sur la commission") == statement.vat_cents
    assert total_after(text, "Net à vous reverser") == statement.net_cents == 30_800

    rows = list(csv.DictReader(io.StringIO(statement_csv(statement).lstrip("\ufeff")), delimiter=";"))
    [fee] = [row for row in rows if row["Mouvement"] == "frais de retrait"]
    assert (fee["Dossier"], fee["Date"], fee["Montant"], fee["Commission HT"], fee["TVA"], fee["Net"]) == (
        case.reference, "10/03/2026", "0,00", "60,00", "12,00", "-72,00")
    assert sum(cents(row["Net"]) for row in rows[:-1]) == statement.net_cents

    db_session.commit()
    login_as("client", creditor)
    page = client.get(f"/remittances/{statement.id}").get_data(as_text=True)
    fees_table = page[page.index('data-testid="recall-fees"'):]
    assert "Frais de retrait" in page and case.reference in fees_table and "60,00" in fees_table


def test_the_closing_report_counts_the_fee_still_to_be_remitted(db_session, creditor, tmp_path, run_jobs):
    factories.agency_profile()
    recall_terms(creditor)
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 50_000, date(2026, 2, 20))
    (february,) = run_remittances(date(2026, 2, 28), [creditor.id])
    recall(case)  # closes the case: its report is produced then, before any statement carries the fee
    run_jobs()

    report = db.session.scalar(sa.select(ClosingReport).where(ClosingReport.case_id == case.id))
    money = report.figures["money"]
    assert (money["commission_cents"], money["recall_fee_cents"]) == (7_500 + 2_500 + FEE, FEE)
    assert money["vat_cents"] == 1_500 + 500 + FEE_VAT
    assert money["remitted_cents"] == february.net_cents
    assert money["to_remit_cents"] == -FEE - FEE_VAT  # the next statement deducts it
    text = pdf_text(report_pdf(report), tmp_path)
    assert total_after(text, "dont frais de retrait du dossier") == FEE
    assert total_after(text, "à reverser dans votre prochain relevé") == -FEE - FEE_VAT

    run_remittances(date(2026, 3, 31), [creditor.id])
    after = gather(case, None, "recalled", date(2026, 3, 10))["money"]
    assert after["net_cents"] == money["net_cents"] and after["to_remit_cents"] == 0
