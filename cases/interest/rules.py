"""Late-payment interest and the recovery indemnity owed on a case's claims (DESIGN.md §4, LEGAL-FR.md §3–4).

The rules, per claim:
- between businesses (case kind b2b, French mandate claiming penalties): from the day after the due
  date, at ECB + 10 points per half-year, or at the mandate's contractual rate raised each half-year to
  3 × the legal rate ("other" column) when below it; plus the €40 indemnity when the mandate claims it;
- consumers (b2c): the legal rate (the creditor's column) from the day after the issued formal notice;
  without a notice, no interest; never an indemnity;
- United States mandates: no automatic interest, state law and the contract decide, so none is posted;
- once a judicial title is enforceable it is the basis (cases.judicial.title_interest): the interest it
  fixed to its date, then the legal rate (the creditor's column) from the day it sets, increased by
  5 points two months after it became enforceable (C. mon. fin. L313-3), whatever the mandate claims;
- an active insolvency hold on the debtor stops interest from the opening judgment's date (the hold's
  `reference_date`; the day the hold was recorded when no date was entered), and the indemnity;
- a half-year missing from the rate tables stops the computation at the last covered day.
Simple interest, actual days / 365; an amount paid on day p still accrues on day p. The claim's total
is computed exactly and rounded half-up to the cent once; postings add the difference with what is
already posted, so reruns add nothing and a backdated payment or a corrected rate yields a correction.

`explain` computes the figures in Python, period by period, for the case screen; cases.interest.sql
computes the same for every claim at once in SQL (`accrued_by_claim`, `accrual_query`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from agency import clock
from agency.db import db
from agency.models import Client, Jurisdiction, Mandate
from cases.interest import series as rs
from cases.interest.sqlfuncs import (
    date_of,
    day_of,
)
from cases.models import SENT_STATUSES, Case, EntryKind, JudicialTitle, Letter, LetterKind, Proceeding
from debtors.models import HoldKind

INDEMNITY_CENTS = 4000  # D441-5: €40 per late invoice between businesses
DENOMINATOR = 10000 * 365  # rate in basis points, actual days / 365
NEVER = 10**7  # a day number past any real date: "no start", "no stop"
PRINCIPAL_CREDITS = ("credit_note", "write_off")


@dataclass(frozen=True)
class Period:
    """A stretch of days during which one amount of principal ran at one rate."""

    start: date
    end: date
    days: int
    principal_cents: int
    rate_bp: int
    numerator: int  # principal × rate × days; the claim's total is rounded once, not per period
    floor_applied: bool = False

    @property
    def amount_cents(self) -> int:
        """Return this period's share, rounded for display only."""
        return round_half_up(self.numerator)


@dataclass(frozen=True)
class Terms:
    """What a claim's interest runs on: the series, the first day, the last allowed day, the indemnity."""

    series: int | None = None
    start_day: int | None = None
    stop_day: int | None = None  # the day before the insolvency proceedings opened
    indemnity: bool = False
    reason: str = ""  # why no interest runs, when none does
    # Under an enforceable title: the rate is raised by `increase_bp` from `increase_day` (L313-3), and
    # `fixed_cents` is the claim's share of the interest the title fixed to its date.
    increase_day: int | None = None
    increase_bp: int = 0
    fixed_cents: int = 0
    title: bool = False


@dataclass(frozen=True)
class ClaimInterest:
    """How one claim's interest is made up through a date."""

    claim_id: int
    reference: str
    total_cents: int
    posted_cents: int = 0
    periods: list[Period] = field(default_factory=list)
    reason: str = ""
    covered_until: date | None = None  # set when the rate tables stop before the date asked
    stopped_on: date | None = None  # set when an insolvency hold stopped interest
    indemnity: bool = False
    fixed_cents: int = 0  # interest an enforceable title fixed to its date, in `total_cents`
    title: bool = False  # the claim's interest runs on an enforceable title's terms

    @property
    def floor_applied(self) -> bool:
        return any(p.floor_applied for p in self.periods)

    @property
    def to_post_cents(self) -> int:
        return self.total_cents - self.posted_cents


def round_half_up(numerator: int) -> int:
    """Return numerator / DENOMINATOR in cents, half away from zero, exactly."""
    if numerator >= 0:
        return (2 * numerator + DENOMINATOR) // (2 * DENOMINATOR)
    return -((DENOMINATOR - 2 * numerator) // (2 * DENOMINATOR))


def accrue(segments: list[rs.Segment], start_day: int, end_day: int, events: list[tuple[int, int]]) -> list[Period]:
    """Return the periods of accrual from `start_day` to `end_day` (day numbers, inclusive).

    `events` are (day, signed principal change); a change on day e counts from day e + 1, so an amount
    paid on day p still accrues on p. Days before the series' first half-year accrue nothing.
    """
    periods: list[Period] = []
    changes = sorted(events)
    day = start_day
    while day <= end_day:
        seg = next((s for s in segments if s.start_day <= day <= s.end_day), None)
        if seg is None:
            later = [s.start_day for s in segments if s.start_day > day]
            if not later:
                break
            day = later[0]
            continue
        next_change = min((e for e, _ in changes if e >= day), default=NEVER)
        last = min(seg.end_day, end_day, next_change)
        principal = sum(amount for e, amount in changes if e < day)
        days = last - day + 1
        periods.append(
            Period(date_of(day), date_of(last), days, principal, seg.rate_bp, principal * seg.rate_bp * days,
                   seg.floor_applied)
        )
        day = last + 1
    return [p for p in periods if p.principal_cents]


# --- the terms of a case's claims, in Python ---------------------------------------------------------


def mandate_for(client: Client, on: date) -> Mandate | None:
    """Return the mandate whose terms apply: the latest one started by `on` (today, for every date asked).

    The terms are the current mandate's whatever period is computed: interest on a 2023 invoice placed
    under a 2025 mandate is claimed under that mandate.
    """
    started = [m for m in client.mandates if m.starts_on <= on]
    return max(started, key=lambda m: (m.starts_on, m.id), default=None)


def formal_notice_day(case: Case) -> date | None:
    """Return the date of the case's first formal notice sent."""
    return db.session.scalar(
        sa.select(sa.func.min(Letter.issued_on)).where(
            Letter.case_id == case.id,
            Letter.kind == LetterKind.FORMAL_NOTICE.value,
            Letter.status.in_(SENT_STATUSES),
        )
    )


def insolvency_start(case: Case) -> date | None:
    """Return the day the debtor's insolvency proceedings opened, for the earliest active insolvency hold.

    That is the opening judgment's date entered on the hold (interest stops from the judgment, however late
    the agency learns of it); without one, the UTC day the hold was recorded.
    """
    starts = [
        h.reference_date or h.started_at.date()
        for h in case.debtor.holds
        if h.kind == HoldKind.INSOLVENCY.value and h.ended_at is None
    ]
    return min(starts, default=None)


def enforceable_title(case: Case) -> JudicialTitle | None:
    """Return the case's latest title that became enforceable: from then on, its terms are the basis."""
    return db.session.scalars(
        sa.select(JudicialTitle).join(Proceeding, Proceeding.id == JudicialTitle.proceeding_id)
        .where(Proceeding.case_id == case.id, JudicialTitle.enforceable_on.is_not(None))
        .order_by(JudicialTitle.enforceable_on.desc(), JudicialTitle.id.desc()).limit(1)
    ).first()


def legal_series(client: Client) -> int:
    """The legal rate's column: the creditor's (a private individual's, or every other creditor's)."""
    return rs.LEGAL_INDIVIDUAL if client.is_private_individual else rs.LEGAL_OTHER


def case_terms(case: Case) -> dict[int, Terms]:
    """Return claim id → the terms its interest runs on."""
    mandate = mandate_for(case.client, clock.today())
    hold = insolvency_start(case)
    stop = day_of(hold) - 1 if hold else None
    indemnity = (case.kind == "b2b" and mandate is not None and mandate.jurisdiction == Jurisdiction.FR.value
                 and mandate.claims_indemnity and hold is None)
    title = enforceable_title(case)
    if title is not None:
        # A money award bears interest from the title's date unless the title sets another start.
        start = day_of(title.interest_from or title.issued_on)
        increase = day_of(title.increase_on) if title.increase_on else None
        shares = {share.claim_id: share.interest_cents for share in title.claim_shares}
        return {c.id: Terms(legal_series(case.client), start, stop, indemnity, "", increase, title.increase_bp,
                            shares.get(c.id, 0), True) for c in case.claims}
    if mandate is None:
        return {c.id: Terms(reason="no_mandate") for c in case.claims}
    if mandate.jurisdiction != Jurisdiction.FR.value:
        return {c.id: Terms(reason="us") for c in case.claims}
    b2b = case.kind == "b2b"
    if not mandate.claims_penalties:
        return {c.id: Terms(indemnity=indemnity, reason="not_claimed") for c in case.claims}
    if b2b:
        key = rs.B2B_DEFAULT if mandate.contractual_rate_bp is None else -mandate.id
        return {c.id: Terms(key, day_of(c.due_date) + 1, stop, indemnity) for c in case.claims}
    key = legal_series(case.client)
    notice = formal_notice_day(case)
    if notice is None:
        return {c.id: Terms(key, None, stop, False, "no_notice") for c in case.claims}
    return {c.id: Terms(key, day_of(notice) + 1, stop, False) for c in case.claims}


def _ledger_by_claim(case: Case) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int]]:
    """Return the principal changes (day, cents) and the interest posted, per claim."""
    by_id = {e.id: e for e in case.ledger_entries}
    events: dict[int, list[tuple[int, int]]] = {}
    posted: dict[int, int] = {}
    for entry in case.ledger_entries:
        undone = by_id.get(entry.reverses_id) if entry.reverses_id else None
        kind = undone.kind if undone else entry.kind
        applies_to = undone.applies_to if undone else entry.applies_to
        claim_id = entry.claim_id or (undone.claim_id if undone else None)
        if claim_id is None:
            continue
        if kind == EntryKind.INTEREST.value:
            posted[claim_id] = posted.get(claim_id, 0) + entry.amount_cents
        elif _reduces_or_adds_principal(kind, applies_to):
            events.setdefault(claim_id, []).append((day_of(entry.effective_on), entry.amount_cents))
    return events, posted


def _reduces_or_adds_principal(kind: str, applies_to: str | None) -> bool:
    return (
        kind == EntryKind.PRINCIPAL.value
        or (kind == EntryKind.PAYMENT.value and applies_to == "principal")
        or kind in PRINCIPAL_CREDITS
    )


def explain(case: Case, through: date) -> list[ClaimInterest]:
    """Return, for each claim of the case, the periods, days, rates and amounts behind its interest."""
    terms = case_terms(case)
    mandate = mandate_for(case.client, clock.today())
    contractual = {mandate.id: mandate.contractual_rate_bp} if mandate and mandate.contractual_rate_bp else {}
    all_series = rs.build_series(rs.load_rates(), contractual)
    events, posted = _ledger_by_claim(case)
    out = []
    for claim in case.claims:
        t = terms[claim.id]
        periods: list[Period] = []
        covered_until = stopped_on = None
        if t.series is not None and t.start_day is not None:
            segments = rs.with_increase(all_series.get(t.series, []), t.increase_day, t.increase_bp)
            end = day_of(through)
            last = rs.last_covered_day(segments)
            if last is None or last < end:
                covered_until = date_of(last) if last is not None else None
                end = last if last is not None else -NEVER
            if t.stop_day is not None and t.stop_day < end:
                end, stopped_on = t.stop_day, date_of(t.stop_day + 1)
            periods = accrue(segments, t.start_day, end, events.get(claim.id, []))
        total = round_half_up(sum(p.numerator for p in periods)) + t.fixed_cents
        out.append(
            ClaimInterest(claim.id, claim.invoice_number, total, posted.get(claim.id, 0), periods, t.reason,
                          covered_until, stopped_on, t.indemnity, t.fixed_cents, t.title)
        )
    return out
