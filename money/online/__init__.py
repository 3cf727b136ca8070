"""Paying a case online, by card through a payment provider, or by transfer with the case's RF reference.

What the debtor's space calls:
- `payment_choices(case)`: the full balance, the next instalment, the least amount of the debtor's own;
- `start_checkout(case, amount_cents, purpose=…, success_url=…, cancel_url=…, actor_label=…)` → `CheckoutStart`
  (`url` to redirect to, `session_id`); refused with `OnlinePaymentError` (its `field` names the form field);
- `checkout_status(session_id, case=case)` → `CheckoutState` for the return page (never records money);
- `transfer_details(case)` and `case_rf_reference(case)` for a transfer.
Payments are recorded only from the provider's signed webhook (`webhooks.py`, `events.py`).
"""

from money.online.checkouts import (
    CheckoutStart,
    CheckoutState,
    NextInstalment,
    OnlinePaymentError,
    PaymentChoices,
    amount_to_pay,
    checkout_status,
    payment_choices,
    start_checkout,
)
from money.online.transfer import TransferDetails, case_for_rf_reference, case_rf_reference, transfer_details

__all__ = [
    "CheckoutStart",
    "CheckoutState",
    "NextInstalment",
    "OnlinePaymentError",
    "PaymentChoices",
    "TransferDetails",
    "amount_to_pay",
    "case_for_rf_reference",
    "case_rf_reference",
    "checkout_status",
    "payment_choices",
    "start_checkout",
    "transfer_details",
]
