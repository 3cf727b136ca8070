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
from cases.models.batch import CaseBatch, CaseBatchItem, ItemOutcome
from cases.models.case import Case, CaseKind, CaseStatus, Claim, ReferenceCounter
from cases.models.closing import BatchStatus, CaseClosing, ClosingBatch, ClosingReason, ClosingStatus
from cases.models.insolvency import ClaimStatus, InsolvencyClaim
from cases.models.judicial import (
    CostPayer,
    JudicialCost,
    JudicialDocument,
    JudicialSetting,
    JudicialStep,
    JudicialTitle,
    Proceeding,
    Route,
    Stage,
    StepKind,
    TitleClaim,
)
from cases.models.ledger import CREDIT_KINDS, DEBIT_KINDS, AppliesTo, EntryKind, LedgerEntry
from cases.models.letters import SENT_STATUSES, Letter, LetterKind, LetterStatus
from cases.models.limitation import ClaimLimitation
from cases.models.rates import RateKind, RatePeriod

__all__ = [
    "CREDIT_KINDS",
    "DEBIT_KINDS",
    "Action",
    "ActionChannel",
    "ActionKind",
    "ActionStatus",
    "AppliesTo",
    "BatchStatus",
    "CallOutcome",
    "Case",
    "CaseBatch",
    "CaseBatchItem",
    "CaseClosing",
    "CaseKind",
    "CaseStatus",
    "Claim",
    "ClaimLimitation",
    "ClosingBatch",
    "ClaimStatus",
    "ClosingReason",
    "ClosingStatus",
    "CostPayer",
    "EntryKind",
    "InsolvencyClaim",
    "ItemOutcome",
    "JudicialCost",
    "JudicialDocument",
    "JudicialSetting",
    "JudicialStep",
    "JudicialTitle",
    "LedgerEntry",
    "Letter",
    "LetterKind",
    "LetterStatus",
    "Proceeding",
    "Promise",
    "PromiseStatus",
    "RateKind",
    "RatePeriod",
    "ReferenceCounter",
    "Route",
    "SENT_STATUSES",
    "Stage",
    "StepKind",
    "TitleClaim",
]
