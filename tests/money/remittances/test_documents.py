"""Statement documents: the PDF (read back with pdftotext) and the CSV add up to the same figures."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from agency.db import db
from cases.letters.storage import read_document
from money.remittances.documents import statement_csv, statement_pdf
from money.remittances.statements import run_remittances
from tests import factories
from tests.money.remittances.conftest import pay, reverse

MONEY = re.compile(r"(-?[\d\u202f\u00a0 ]+,\d{2})\s?€")


def cents(text: str) -> int:
    return int(Decimal(re.sub(r"[\s\u202f\u00a0€]", "", text).replace(",", ".")) * 100)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def total_after(text: str, label: str) -> int:
    line = next(line for line in text.splitlines() if label in line)
    return cents(MONEY.findall(line)[-1])


@pytest.fixture
def statement(db_session, creditor):
    factories.agency_profile()
    first = factories.case(client_row=creditor, amounts=(80_000,))
    second = factories.case(client_row=creditor, amounts=(30_000,))
    pay(first, 123_456 // 3, date(2026, 3, 3))
    bounced = pay(first, 2_000, date(2026, 3, 4), method="cheque")
    reverse(bounced, date(2026, 3, 20))
    pay(second, 9_999, date(2026, 3, 11))
    pay(second, 5_000, date(2026, 3, 12), channel="direct")
    (march,) = run_remittances(date(2026, 3, 31))
    return march


def test_pdf_and_csv_show_the_same_totals(statement, tmp_path):
    data = statement_pdf(statement)
    text = pdf_text(data, tmp_path)
    assert statement.reference in text and statement.client.name in text
    assert "du 03/03/2026 au 31/03/2026" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text  # the client's IBAN, grouped
    assert total_after(text, "Encaissé par l'agence (net") == statement.trust_collected_cents
    assert total_after(text, "Reçu directement par vous") == statement.direct_collected_cents
    assert total_after(text, "Commission HT (forfaits") == statement.commission_cents
    assert total_after(text, "TVA sur la commission") == statement.vat_cents
    assert total_after(text, "Net à vous reverser") == statement.net_cents
    for case_line in ("Dossier", "Débiteur"):
        assert case_line in text

    rows = list(csv.reader(io.StringIO(statement_csv(statement).lstrip("\ufeff")), delimiter=";"))
    header, movements, total = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "Dossier" and total[0] == "TOTAL"
    assert len(movements) == 4 + 2 + 1  # four payments, one reversal, two fees per case
    column = {name: i for i, name in enumerate(header)}

    def csv_sum(name: str) -> int:
        return sum(cents(row[column[name]]) for row in movements)

    assert csv_sum("Commission HT") == statement.commission_cents == cents(total[column["Commission HT"]])
    assert csv_sum("TVA") == statement.vat_cents == cents(total[column["TVA"]])
    assert csv_sum("Net") == statement.net_cents == cents(total[column["Net"]])
    trust = sum(cents(row[column["Montant"]]) for row in movements
                if row[column["Encaissement"]] == "compte de l'agence")
    assert trust == statement.trust_collected_cents
    assert any(row[column["Mouvement"]] == "annulation" and row[column["Montant"]] == "-20,00" for row in movements)


def test_pdf_is_stored_once(statement):
    data = statement_pdf(statement)
    path, digest = statement.pdf_path, statement.pdf_sha256
    assert path.startswith(f"remittances/{statement.client_id}/{statement.reference}-")
    assert read_document(path, digest) == data
    db.session.flush()
    assert statement_pdf(statement) == data and statement.pdf_path == path


def test_negative_net_says_the_client_owes(db_session, creditor, tmp_path):
    factories.agency_profile()
    case = factories.case(client_row=creditor, amounts=(300_000,))
    pay(case, 100_000, date(2026, 3, 9), channel="direct")
    (march,) = run_remittances(date(2026, 3, 31))
    text = pdf_text(statement_pdf(march), tmp_path)
    assert total_after(text, "Solde dû à l'agence") == -march.net_cents > 0
    assert "fait l'objet d'une facture" in text


def test_english_statement(statement, tmp_path):
    from money.remittances.documents import render_statement

    text = pdf_text(render_statement(statement, "en"), tmp_path)
    assert "remittance statement from 3 March 2026 to 31 March 2026" in text
    assert "Net to be transferred to you" in text and statement.reference in text


def test_statement_columns_do_not_run_into_each_other(statement, tmp_path):
    text = pdf_text(statement_pdf(statement), tmp_path)
    # Headers of neighbouring columns are apart, never "l'agence Reçu directement Commission HT TVA".
    assert not re.search(r"Paiements ?Encaissé|agence ?Reçu|directement ?Commission|HT ?TVA", text)
    rows = [line for line in text.splitlines() if re.match(r"\s*D\d{2}-\d{6}\s", line)]
    assert len(rows) == 2
    for row in rows:
        amounts = MONEY.findall(row)
        assert len(amounts) == 4, row  # collected, received directly, commission, VAT
        # Two amounts are at least two spaces apart: "86,73 €   17,35 €", not "86,73 € 17,35 €".
        assert not re.search(r"€ ?\S", row), row


def test_judicial_fees_advanced_in_the_period_are_listed_for_information(db_session, creditor, tmp_path):
    from cases.judicial.costs import record_cost
    from cases.models import Proceeding

    factories.agency_profile()
    case = factories.case(client_row=creditor, amounts=(80_000,))
    pay(case, 10_000, date(2026, 3, 3))
    proceeding = Proceeding(reference="JUD-26-T00001", case_id=case.id, client_id=case.client_id,
                            route="order_commercial", suggested_route="order_commercial", stage="filed")
    db.session.add(proceeding)
    db.session.flush()
    record_cost(proceeding, kind="commercial_court_fee", amount_cents=3_347, incurred_on=date(2026, 3, 10),
                actor=None, advanced_by="client")
    record_cost(proceeding, kind="service", amount_cents=9_850, incurred_on=date(2026, 4, 2), actor=None)
    (march,) = run_remittances(date(2026, 3, 31))
    text = pdf_text(statement_pdf(march), tmp_path)
    assert "Frais de justice avancés pendant la période" in text
    line = next(line for line in text.splitlines() if "Droit de greffe" in line)
    assert case.reference in line and "vous" in line and cents(MONEY.findall(line)[-1]) == 3_347
    assert "Signification" not in text  # April's fee belongs to April's statement
    assert total_after(text, "Net à vous reverser") == march.net_cents  # the fees change nothing above
