"""The models of the cases package, one module per subject; import them from here."""

from cases.models.actions import (
    Action,
    ActionChannel,
    ActionKind,
    ActionStatus,
    CallOutcome,
    Promise,
    PromiseStatus,
)
from cases.models.case import Case, CaseKind, CaseStatus, Claim, ReferenceCounter
from cases.models.ledger import CREDIT_KINDS, DEBIT_KINDS, AppliesTo, EntryKind, LedgerEntry
from cases.models.letters import SENT_STATUSES, Letter, LetterKind, LetterStatus
from cases.models.payments import Payment, PaymentChannel, PaymentMethod
from cases.models.plans import InstalmentStatus, PaymentPlan, PlanInstalment, PlanStatus
from cases.models.rates import RateKind, RatePeriod
from cases.models.remittances import LineKind, Remittance, RemittanceLine, RemittanceStatus

__all__ = [
    "CREDIT_KINDS",
    "DEBIT_KINDS",
    "Action",
    "ActionChannel",
    "ActionKind",
    "ActionStatus",
    "AppliesTo",
    "CallOutcome",
    "Case",
    "CaseKind",
    "CaseStatus",
    "Claim",
    "EntryKind",
    "InstalmentStatus",
    "LedgerEntry",
    "Letter",
    "LetterKind",
    "LetterStatus",
    "LineKind",
    "Payment",
    "PaymentChannel",
    "PaymentMethod",
    "PaymentPlan",
    "PlanInstalment",
    "PlanStatus",
    "Promise",
    "PromiseStatus",
    "RateKind",
    "RatePeriod",
    "ReferenceCounter",
    "Remittance",
    "RemittanceLine",
    "RemittanceStatus",
    "SENT_STATUSES",
]
