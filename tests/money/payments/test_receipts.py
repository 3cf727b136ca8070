"""The receipt (quittance, R124-6) of every payment: a real PDF, read back as a reader would."""

from __future__ import annotations

import hashlib
from datetime import date

from agency.db import db
from cases.intake import ClaimInput, open_case
from cases.letters.storage import documents_dir
from cases.models import CaseKind
from money.payments.jobs import issue_receipt_job, issue_receipt_later, missing_receipts_job
from tests import factories
from tests.cases.letters.reading import pdf_text


def ready_case(**debtor_fields):
    factories.agency_profile()
    client = factories.client(name="Énergies du Rhône SAS")
    case = open_case(
        client=client, debtor=factories.debtor(**debtor_fields), kind=CaseKind.B2C, opened_on=date(2026, 3, 1),
        actor=None, claims=[
            ClaimInput(invoice_number="FA-2025-118", issue_date=date(2025, 10, 1), due_date=date(2025, 11, 1),
                       amount_cents=150_000),
            ClaimInput(invoice_number="FA-2026-007", issue_date=date(2025, 12, 1), due_date=date(2026, 1, 1),
                       amount_cents=50_000),
        ],
    )
    factories.postal_address(case.debtor)
    return case


def read_receipt(payment) -> tuple[bytes, str]:
    data = (documents_dir() / payment.receipt_path).read_bytes()
    return data, pdf_text(data)


def test_the_receipt_prints_amount_reference_creditor_and_allocation(db_session, run_jobs):
    case = ready_case()
    payment = factories.payment(case, 160_000, received_on=date(2026, 11, 2), method="cheque",
                                payer_reference="CHQ 0042117", receipt=False)
    db_session.commit()
    issue_receipt_later(payment.id)
    run_jobs()
    db.session.refresh(payment)

    assert payment.receipt_path and payment.receipt_path.startswith(f"receipts/2026/{case.reference}/")
    data, text = read_receipt(payment)
    assert hashlib.sha256(data).hexdigest() == payment.receipt_sha256
    assert f"Quittance n° {payment.reference}" in text
    assert "Énergies du Rhône SAS" in text and "Cabinet Arnaud Recouvrement" in text
    assert "la somme de 1 600,00 € , le 2 novembre 2026, par chèque (référence CHQ 0042117)" in text.replace("€,", "€ ,")
    assert "FA-2025-118 01/11/2025 Principal 1 500,00 €" in text
    assert "FA-2026-007 01/01/2026 Principal 100,00 €" in text
    assert "il reste dû sur ce dossier la somme de 400,00 €" in text
    assert "R124-6" in text and "sous réserve de l'encaissement du chèque" in text
    assert "déclaré" not in text


def test_a_direct_payment_receipt_says_the_creditor_declared_it(db_session):
    case = ready_case()
    payment = factories.payment(case, 250_000, channel="direct", receipt=False)
    assert issue_receipt_job(payment.id) == "issued"
    _data, text = read_receipt(payment)
    assert "votre créancier, nous a déclaré avoir reçu directement" in text
    assert "sur la foi de cette déclaration du créancier" in text
    assert "Trop-perçu, à vous rembourser 500,00 €" in text
    assert "dépasse de 500,00 € la somme due" in text
    # A retry finds it issued and writes nothing new.
    assert issue_receipt_job(payment.id) == "exists"


def test_an_english_reader_gets_an_english_receipt(db_session):
    case = ready_case(language="en")
    payment = factories.payment(case, 200_000, receipt=False)
    assert issue_receipt_job(payment.id) == "issued"
    _data, text = read_receipt(payment)
    assert f"Receipt no. {payment.reference}" in text and "settles your case" in text


def test_the_sweep_issues_receipts_still_missing(db_session, run_jobs):
    case = ready_case()
    first, second = factories.payment(case, 1_000, receipt=False), factories.payment(case, 2_000, receipt=False)
    db_session.commit()
    assert not first.receipt_path and not second.receipt_path
    assert missing_receipts_job() >= 2
    run_jobs()  # real mode: the sweep enqueued one job per receipt
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.receipt_path and second.receipt_path and first.receipt_path != second.receipt_path
