"""Payments recorded out of date order: interest they had paid and that a later correction lowered is not lost."""

from __future__ import annotations

from datetime import date

from cases import ledger
from cases.intake import ClaimInput, open_case
from cases.models import CaseKind
from money.payments.items import open_items
from tests import factories


def b2b_case():
    """The worked example's invoice: 10 000 € due 15 January 2026 at ECB + 10 points, the €40 claimed."""
    client = factories.client()
    client.mandates[0].claims_indemnity = True
    return open_case(
        client=client, debtor=factories.debtor("company"), kind=CaseKind.B2B, opened_on=date(2026, 2, 1),
        actor=None, claims=[ClaimInput(invoice_number="F-2026-01", issue_date=date(2025, 12, 16),
                                       due_date=date(2026, 1, 15), amount_cents=1_000_000)],
    )


def test_interest_paid_beyond_its_corrected_amount_counts_against_principal_and_an_overpayment_is_a_credit(
        db_session):
    case = b2b_case()
    # 16 March: 300 € pays the €40, the 199,73 € of interest owed that day, and 60,27 € of principal.
    factories.payment(case, 30_000, received_on=date(2026, 3, 16))
    # A cheque received on 15 February is recorded only now: half the principal stopped running a month
    # earlier, so the interest through 16 March is corrected down, below what the first payment paid on it.
    factories.payment(case, 500_000, received_on=date(2026, 2, 15))
    balance = ledger.balance(case.id)
    assert balance.interest < 19_973
    assert open_items(case).total == balance.outstanding  # what allocation sees is what the debtor owes

    # The debtor now pays more than the balance: every cent beyond it is held for the debtor.
    overpaid = factories.payment(case, 500_000, received_on=date(2026, 3, 16))
    balance = ledger.balance(case.id)
    assert balance.outstanding < 0
    assert overpaid.credit_cents == balance.credit == -balance.outstanding
    assert case.status == "paid"
