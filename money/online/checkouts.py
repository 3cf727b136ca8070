"""Paying a case online: what the debtor may pay, opening the provider's page, and what came of it.

- `payment_choices` says what a debtor may pay now: the whole balance, the next instalment of the running
  plan, or an amount of their own between the mandate's minimum part payment and the balance.
- `start_checkout` opens the provider's payment page for one of them and keeps a `Checkout` row.
- `checkout_status` is what the return page reads: it never records money; until the provider's signed
  event arrives (money/online/events.py) a paid checkout reads as "being confirmed".

Operations change rows and write audit events; they never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from agency import audit
from agency.clock import today as agency_today
from agency.db import db, utcnow
from agency.money import case_limit_cents, format_money
from cases import ledger
from cases.interest.posting import post_interest
from cases.models import Case
from debtors.models import HoldKind
from money.models import Checkout, CheckoutPurpose, CheckoutStatus, InstalmentStatus, Payment, PlanStatus
from money.online.provider import ProviderUnavailable, SessionRequest, get_provider
from money.plans.plans import running_plan

DEFAULT_MIN_PART_PAYMENT_CENTS = 1000  # without a mandate in force (a case is never placed without one)
# Holds under which the debtor may not pay the creditor: a court's over-indebtedness procedure, or an
# insolvency proceeding (prior debts are paid through the proceeding, not one creditor at a time).
NO_PAYMENT_HOLDS = (HoldKind.OVER_INDEBTEDNESS.value, HoldKind.INSOLVENCY.value)


class OnlinePaymentError(ValueError):
    """A checkout refused, with the form field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NextInstalment:
    number: int
    due_on: date
    amount_cents: int  # what is left to pay of it


@dataclass(frozen=True)
class PaymentChoices:
    """What a debtor may pay online now; `refusal` says why nothing can be paid (then `payable` is False)."""

    currency: str
    full_cents: int
    minimum_cents: int  # the least an amount of the debtor's own may be (never above the balance)
    instalment: NextInstalment | None
    refusal: str = ""

    @property
    def payable(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class CheckoutStart:
    """Where to send the debtor (the provider's page) and the provider's id of that page."""

    url: str
    session_id: str
    checkout_id: int


@dataclass(frozen=True)
class CheckoutState:
    """What the return page shows: `pending` while the provider has not confirmed (never money from a redirect)."""

    status: str  # pending, paid, failed, expired
    case_id: int
    amount_cents: int
    currency: str
    purpose: str
    payment_reference: str = ""  # the receipt's number, once paid
    failure_reason: str = ""


def payment_choices(case: Case, on: date | None = None) -> PaymentChoices:
    """Return what the debtor may pay on `case` now; posts the interest due to date first, as letters do."""
    on = on or agency_today()
    if case.is_open:
        post_interest(on, [case.id])
    full = max(ledger.balance(case.id).outstanding, 0)
    mandate = case.client.active_mandate(on) or case.client.active_mandate(case.opened_on)
    minimum = mandate.min_part_payment_cents if mandate is not None else DEFAULT_MIN_PART_PAYMENT_CENTS
    instalment = _next_instalment(case)
    if instalment is not None:
        instalment = NextInstalment(instalment.number, instalment.due_on, min(instalment.amount_cents, full))
    refusal = _refusal(case, full)
    return PaymentChoices(case.currency, full, min(minimum, full), instalment if full else None, refusal)


def amount_to_pay(case: Case, purpose: str, amount_cents: int | None = None, on: date | None = None) -> int:
    """Return the amount a checkout of `purpose` collects; refuse an own amount out of bounds (field `amount`)."""
    choices = payment_choices(case, on)
    if not choices.payable:
        raise OnlinePaymentError(choices.refusal)
    if purpose == CheckoutPurpose.FULL:
        return choices.full_cents
    if purpose == CheckoutPurpose.INSTALMENT:
        if choices.instalment is None or choices.instalment.amount_cents <= 0:
            raise OnlinePaymentError(_("Amount: there is no instalment to pay on this case."), "amount")
        return choices.instalment.amount_cents
    if purpose != CheckoutPurpose.OWN:
        raise OnlinePaymentError(_("Amount: choose what to pay."), "purpose")
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise OnlinePaymentError(_("Amount: give the amount you wish to pay."), "amount")
    if amount_cents < choices.minimum_cents:
        raise OnlinePaymentError(
            _("Amount: at least %(minimum)s, or the whole balance.", minimum=_money(choices.minimum_cents, case)),
            "amount",
        )
    if amount_cents > choices.full_cents:
        raise OnlinePaymentError(
            _("Amount: at most the balance, %(full)s.", full=_money(choices.full_cents, case)), "amount"
        )
    return amount_cents


def start_checkout(
    case: Case,
    amount_cents: int | None,
    *,
    purpose: str,
    success_url: str,
    cancel_url: str,
    actor_label: str,
    locale: str = "fr",
    email: str = "",
    provider: str = "stripe",
) -> CheckoutStart:
    """Open the provider's payment page for `purpose` on `case`; return where to send the debtor.

    `amount_cents` is read for an amount of the debtor's own only; the balance and the instalment are
    computed here. `success_url` may hold `{CHECKOUT_SESSION_ID}`, which the provider replaces. The row is
    added before the provider is asked (its reference is the provider's idempotency key); the caller
    commits, then redirects. Raises OnlinePaymentError when the amount is refused or the provider is away.
    """
    amount = amount_to_pay(case, purpose, amount_cents)
    if amount > case_limit_cents():
        raise OnlinePaymentError(_("Amount: too large to be paid online; please contact us."), "amount")
    seam = get_provider(provider)
    expires_at = utcnow() + timedelta(minutes=current_app.config["CHECKOUT_EXPIRY_MINUTES"])
    checkout = Checkout(
        case=case, client_id=case.client_id, reference=f"CO-{secrets.token_hex(12)}", provider=seam.name,
        purpose=purpose, amount_cents=amount, currency=case.currency, status=CheckoutStatus.OPEN.value,
        actor_label=(actor_label or "")[:200], expires_at=expires_at,
    )
    db.session.add(checkout)
    db.session.flush()
    request = SessionRequest(
        reference=checkout.reference, amount_cents=amount, currency=case.currency,
        description=_("Case %(reference)s", reference=case.reference), success_url=success_url,
        cancel_url=cancel_url, expires_at=expires_at, locale=locale, email=email,
    )
    try:
        session = seam.create_session(request)
    except ProviderUnavailable as exc:
        current_app.logger.warning("checkout %s not opened: %s", checkout.reference, exc)
        raise OnlinePaymentError(
            _("Card payment is unavailable at the moment; please try again in a few minutes.")
        ) from exc
    checkout.provider_session_id, checkout.url = session.session_id, session.url
    checkout.expires_at = session.expires_at or expires_at
    audit.record(
        "checkout.opened", actor=None, actor_label=checkout.actor_label or "debtor", subject=checkout,
        after={"case": case.reference, "reference": checkout.reference, "purpose": purpose, "amount": amount,
               "provider": seam.name, "session": session.session_id},
    )
    return CheckoutStart(session.url, session.session_id, checkout.id)


def checkout_status(session_id: str, *, case: Case | None = None, provider: str = "stripe") -> CheckoutState | None:
    """Return what became of the checkout `session_id` (of `case`, when given), from our records only."""
    query = sa.select(Checkout).where(Checkout.provider == provider, Checkout.provider_session_id == session_id)
    if case is not None:
        query = query.where(Checkout.case_id == case.id)
    checkout = db.session.scalar(query)
    if checkout is None:
        return None
    status = "pending" if checkout.status == CheckoutStatus.OPEN else checkout.status
    reference = ""
    if checkout.payment_id is not None:
        reference = db.session.get(Payment, checkout.payment_id).reference
    return CheckoutState(status, checkout.case_id, checkout.amount_cents, checkout.currency, checkout.purpose,
                         reference, checkout.failure_reason)


def _next_instalment(case: Case):
    plan = running_plan(case)
    if plan is None or plan.status != PlanStatus.ACTIVE:
        return None
    for instalment in plan.instalments:
        if instalment.status != InstalmentStatus.PAID and instalment.amount_cents > instalment.paid_cents:
            return NextInstalment(instalment.number, instalment.due_on, instalment.amount_cents - instalment.paid_cents)
    return None


def _refusal(case: Case, full_cents: int) -> str:
    if not case.is_open or full_cents <= 0:
        return _("Nothing is left to pay on this case.")
    if any(h.kind in NO_PAYMENT_HOLDS for h in case.debtor.active_holds):
        return _("This case cannot be paid online at the moment; please contact us.")
    return ""


def _money(cents: int, case: Case) -> str:
    return format_money(cents, case.currency, locale=str(get_locale() or "fr"))
