"""The models of the money package, one module per subject; import them from here."""

from money.models.closing_reports import ClosingReport
from money.models.online import Checkout, CheckoutPurpose, CheckoutStatus, FeeBorneBy, ProviderEvent
from money.models.payments import Payment, PaymentChannel, PaymentMethod
from money.models.personal_data import AuditScrub, PersonalDataSettings
from money.models.plans import InstalmentStatus, PaymentPlan, PlanInstalment, PlanStatus
from money.models.remittances import LineKind, Remittance, RemittanceLine, RemittanceStatus

__all__ = [
    "AuditScrub",
    "PersonalDataSettings",
    "Checkout",
    "CheckoutPurpose",
    "CheckoutStatus",
    "FeeBorneBy",
    "ProviderEvent",
    "ClosingReport",
    "InstalmentStatus",
    "LineKind",
    "Payment",
    "PaymentChannel",
    "PaymentMethod",
    "PaymentPlan",
    "PlanInstalment",
    "PlanStatus",
    "Remittance",
    "RemittanceLine",
    "RemittanceStatus",
]
