"""What a debtor may pay online (balance, next instalment, an amount of their own), and the transfer details."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from stdnum import iso11649

from agency.clock import today
from money.online import (
    OnlinePaymentError,
    amount_to_pay,
    case_for_rf_reference,
    case_rf_reference,
    payment_choices,
    start_checkout,
    transfer_details,
)
from money.plans.plans import propose_plan, split
from tests import factories
from tests.money.online.conftest import CANCEL_URL, SUCCESS_URL


def test_the_full_balance_and_the_mandates_minimum(db_session, case):
    choices = payment_choices(case)
    assert (choices.full_cents, choices.minimum_cents, choices.instalment, choices.payable) == (50_000, 1_000, None, True)
    assert amount_to_pay(case, "full", 123) == 50_000  # the balance is computed here, not taken from the form
    case.client.mandates[0].min_part_payment_cents = 5_000
    assert payment_choices(case).minimum_cents == 5_000
    assert amount_to_pay(case, "own", 5_000) == 5_000


def test_the_next_instalment_of_the_running_plan(db_session, case):
    propose_plan(case, instalments=split(50_000, 4, today() + timedelta(days=3)), total_cents=50_000, actor=None)
    instalment = payment_choices(case).instalment
    assert (instalment.number, instalment.amount_cents, instalment.due_on) == (1, 12_500, date(2026, 12, 10))
    assert amount_to_pay(case, "instalment") == 12_500
    factories.payment(case, 12_500)  # the first is paid: the second is next
    instalment = payment_choices(case).instalment
    assert (instalment.number, instalment.amount_cents) == (2, 12_500)


def test_no_instalment_without_a_plan(db_session, case):
    with pytest.raises(OnlinePaymentError) as refused:
        amount_to_pay(case, "instalment")
    assert refused.value.field == "amount"


@pytest.mark.parametrize(("amount", "words"), [
    (999, "Montant : au moins 10,00"),  # below the mandate's minimum
    (50_001, "Montant : au plus le solde, 500,00"),
    (0, "Montant"),
    (None, "Montant"),
])
def test_an_own_amount_out_of_bounds_is_refused_naming_the_field(db_session, case, fake_stripe, amount, words):
    with pytest.raises(OnlinePaymentError) as refused:
        start_checkout(case, amount, purpose="own", success_url=SUCCESS_URL, cancel_url=CANCEL_URL,
                       actor_label="debtor (space)")
    assert refused.value.field == "amount"
    assert words in str(refused.value).replace("\u202f", " ").replace("\xa0", " ")
    assert fake_stripe.requests == []  # nothing asked of the provider


def test_a_balance_below_the_minimum_may_be_paid_whole(db_session, case):
    factories.payment(case, 49_500)
    choices = payment_choices(case)
    assert (choices.full_cents, choices.minimum_cents) == (500, 500)
    assert amount_to_pay(case, "own", 500) == 500


def test_nothing_is_payable_on_a_paid_case_or_under_over_indebtedness(db_session, case):
    from debtors.holds import put_on_hold

    put_on_hold(case.debtor, "over_indebtedness", actor=None, reason="dossier BDF")
    assert not payment_choices(case).payable
    with pytest.raises(OnlinePaymentError, match="contacter"):
        amount_to_pay(case, "full")
    paid = factories.case(amounts=(1_000,))
    factories.payment(paid, 1_000)
    assert payment_choices(paid).refusal


def test_the_rf_reference_is_valid_stable_and_names_its_case(db_session, case):
    reference = case_rf_reference(case)
    assert iso11649.is_valid(reference) and reference == case_rf_reference(case)
    assert reference.endswith(case.reference.replace("-", ""))
    assert case_for_rf_reference(iso11649.format(reference).lower()) == case
    assert case_for_rf_reference(reference[:4] + "X" + reference[5:]) is None  # a typo fails the check digits
    other = factories.case()
    assert case_rf_reference(other) != reference


def test_the_transfer_details_name_the_trust_account(db_session, case):
    details = transfer_details(case)
    assert details.iban == "FR76 3000 4008 0500 0112 2334 433"
    assert details.reference == iso11649.format(case_rf_reference(case))
    assert details.beneficiary == "Cabinet Arnaud Recouvrement"
