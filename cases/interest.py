"""Late-payment interest and the recovery indemnity owed on a case's claims (DESIGN.md §4, LEGAL-FR.md §3–4).

The rules, per claim:
- between businesses (case kind b2b, French mandate claiming penalties): from the day after the due
  date, at ECB + 10 points per half-year, or at the mandate's contractual rate raised each half-year to
  3 × the legal rate ("other" column) when below it; plus the €40 indemnity when the mandate claims it;
- consumers (b2c): the legal rate (the creditor's column) from the day after the issued formal notice;
  without a notice, no interest; never an indemnity;
- United States mandates: no automatic interest, state law and the contract decide, so none is posted;
- an active insolvency hold on the debtor stops interest from the hold's start, and the indemnity;
- a half-year missing from the rate tables stops the computation at the last covered day.
Simple interest, actual days / 365; an amount paid on day p still accrues on day p. The claim's total
is computed exactly and rounded half-up to the cent once; postings add the difference with what is
already posted, so reruns add nothing and a backdated payment or a corrected rate yields a correction.

`accrued_by_claim` is set-based SQL (the same on PostgreSQL and SQLite); `explain` computes the same
figures in Python, period by period, for the case screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from agency import clock
from agency.db import db
from agency.models import Client, Jurisdiction, Mandate
from cases.models import Case, Claim, EntryKind, LedgerEntry, Letter, LetterKind, LetterStatus
from cases.rates import series as rs
from cases.rates.sqlfuncs import (
    date_from_day,
    date_of,
    day_number,
    day_of,
    fr_date,
    greatest,
    least,
    utc_day_number,
)
from debtors.models import Hold, HoldKind

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
    stop_day: int | None = None  # the day before an insolvency hold started
    indemnity: bool = False
    reason: str = ""  # why no interest runs, when none does


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
    """Return the issue date of the case's first issued formal notice."""
    return db.session.scalar(
        sa.select(sa.func.min(Letter.issued_on)).where(
            Letter.case_id == case.id,
            Letter.kind == LetterKind.FORMAL_NOTICE.value,
            Letter.status == LetterStatus.ISSUED.value,
        )
    )


def insolvency_start(case: Case) -> date | None:
    """Return the UTC day the debtor's earliest active insolvency hold started."""
    starts = [
        h.started_at.date()
        for h in case.debtor.holds
        if h.kind == HoldKind.INSOLVENCY.value and h.ended_at is None
    ]
    return min(starts, default=None)


def case_terms(case: Case) -> dict[int, Terms]:
    """Return claim id → the terms its interest runs on."""
    mandate = mandate_for(case.client, clock.today())
    hold = insolvency_start(case)
    stop = day_of(hold) - 1 if hold else None
    if mandate is None:
        return {c.id: Terms(reason="no_mandate") for c in case.claims}
    if mandate.jurisdiction != Jurisdiction.FR.value:
        return {c.id: Terms(reason="us") for c in case.claims}
    b2b = case.kind == "b2b"
    indemnity = b2b and mandate.claims_indemnity and hold is None
    if not mandate.claims_penalties:
        return {c.id: Terms(indemnity=indemnity, reason="not_claimed") for c in case.claims}
    if b2b:
        key = rs.B2B_DEFAULT if mandate.contractual_rate_bp is None else -mandate.id
        return {c.id: Terms(key, day_of(c.due_date) + 1, stop, indemnity) for c in case.claims}
    key = rs.LEGAL_INDIVIDUAL if case.client.is_private_individual else rs.LEGAL_OTHER
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
            segments = all_series.get(t.series, [])
            end = day_of(through)
            last = rs.last_covered_day(segments)
            if last is None or last < end:
                covered_until = date_of(last) if last is not None else None
                end = last if last is not None else -NEVER
            if t.stop_day is not None and t.stop_day < end:
                end, stopped_on = t.stop_day, date_of(t.stop_day + 1)
            periods = accrue(segments, t.start_day, end, events.get(claim.id, []))
        total = round_half_up(sum(p.numerator for p in periods))
        out.append(
            ClaimInterest(claim.id, claim.invoice_number, total, posted.get(claim.id, 0), periods, t.reason,
                          covered_until, stopped_on, t.indemnity)
        )
    return out


# --- the same, set-based ---------------------------------------------------------------------------------


def _contractual_rates() -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(Mandate.id, Mandate.contractual_rate_bp).where(Mandate.contractual_rate_bp.is_not(None))
        ).all()
    )


def _mandate_pick(on: date) -> sa.Subquery:
    """One mandate per client: the latest started by `on` (as `mandate_for`)."""
    rank = sa.func.row_number().over(
        partition_by=Mandate.client_id, order_by=(Mandate.starts_on.desc(), Mandate.id.desc())
    )
    ranked = (
        sa.select(
            Mandate.id, Mandate.client_id, Mandate.jurisdiction, Mandate.claims_penalties,
            Mandate.claims_indemnity, Mandate.contractual_rate_bp, rank.label("rank"),
        )
        .where(Mandate.starts_on <= on)
        .subquery("mandate_ranked")
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery("mandate_pick")


def _day_at(segments: sa.Subquery, name: str, series, day) -> tuple:
    """Alias the segment table for a range join and return it with C(day) (0 outside every segment)."""
    seg = segments.alias(name)
    on = sa.and_(seg.c.series == series, seg.c.start_day <= day, seg.c.end_day >= day)
    cum = sa.func.coalesce(seg.c.cum_before + seg.c.rate_bp * (day - seg.c.start_day + 1), 0)
    return seg, on, cum


def accrual_query(through: date, case_filter, *, horizon: bool) -> sa.Select:
    """Return the per-claim accrual: claim, case, client, horizon, total cents, posted cents, description.

    With `horizon`, each claim is brought up to the later of `through` and its last posting, never back.
    `case_filter` is a condition on Case.
    """
    series = rs.build_series(rs.load_rates(), _contractual_rates())
    segments = rs.segment_select(series).cte("rate_segment")
    coverage = (
        sa.select(segments.c.series, sa.func.max(segments.c.end_day).label("last_day"))
        .group_by(segments.c.series)
        .subquery("coverage")
    )
    mandate = _mandate_pick(clock.today())
    notice = (
        sa.select(Letter.case_id, sa.func.min(Letter.issued_on).label("issued_on"))
        .where(Letter.kind == LetterKind.FORMAL_NOTICE.value, Letter.status == LetterStatus.ISSUED.value)
        .group_by(Letter.case_id)
        .subquery("notice")
    )
    hold = (
        sa.select(Hold.debtor_id, sa.func.min(utc_day_number(Hold.started_at)).label("day"))
        .where(Hold.kind == HoldKind.INSOLVENCY.value, Hold.ended_at.is_(None))
        .group_by(Hold.debtor_id)
        .subquery("insolvency")
    )
    targets = sa.select(Claim.id).join(Case, Case.id == Claim.case_id).where(case_filter)
    entry, undone = LedgerEntry, sa.orm.aliased(LedgerEntry)
    kind = sa.func.coalesce(undone.kind, entry.kind)
    applies_to = sa.func.coalesce(undone.applies_to, entry.applies_to)
    claim_id = sa.func.coalesce(entry.claim_id, undone.claim_id)
    claim_entries = (
        sa.select(
            claim_id.label("claim_id"), kind.label("kind"), applies_to.label("applies_to"),
            entry.kind.label("own_kind"), entry.amount_cents, entry.effective_on, entry.accrued_through,
        )
        .select_from(entry)
        .outerjoin(undone, entry.reverses_id == undone.id)
        .where(claim_id.in_(targets))
        .cte("claim_entry")
    )
    ce = claim_entries.c
    is_interest = ce.kind == EntryKind.INTEREST.value
    led = (
        sa.select(
            ce.claim_id,
            sa.func.sum(sa.case((is_interest, ce.amount_cents), else_=0)).label("posted"),
            sa.func.max(sa.case((ce.own_kind == EntryKind.INTEREST.value, day_number(ce.accrued_through)))).label(
                "last_day"
            ),
            sa.func.sum(sa.case((ce.own_kind == EntryKind.INDEMNITY.value, 1), else_=0)).label("indemnities"),
        )
        .group_by(ce.claim_id)
        .subquery("posted")
    )

    b2b = Case.kind == "b2b"
    fr = sa.and_(mandate.c.id.is_not(None), mandate.c.jurisdiction == Jurisdiction.FR.value)
    series_key = sa.case(
        (sa.not_(fr), sa.null()),
        (sa.not_(mandate.c.claims_penalties), sa.null()),
        (b2b, sa.case((mandate.c.contractual_rate_bp.is_(None), rs.B2B_DEFAULT), else_=-mandate.c.id)),
        (Client.is_private_individual, rs.LEGAL_INDIVIDUAL),
        else_=rs.LEGAL_OTHER,
    )
    start_day = sa.case((b2b, day_number(Claim.due_date) + 1), else_=day_number(notice.c.issued_on) + 1)
    asked = day_of(through)
    horizon_day = greatest(sa.literal(asked), sa.func.coalesce(led.c.last_day, asked)) if horizon else sa.literal(asked)
    end_day = least(
        horizon_day,
        sa.func.coalesce(hold.c.day - 1, NEVER),
        sa.func.coalesce(coverage.c.last_day, -NEVER),
    )
    indemnity_ok = sa.and_(fr, b2b, mandate.c.claims_indemnity, hold.c.day.is_(None))
    terms = (
        sa.select(
            Claim.id.label("claim_id"), Claim.case_id, Claim.client_id, Claim.currency, Claim.invoice_number,
            Claim.due_date, Case.status,
            sa.func.coalesce(series_key, 0).label("series"),
            sa.func.coalesce(start_day - 1, NEVER).label("s1"),
            sa.case((series_key.is_(None), -NEVER), else_=end_day).label("t"),
            horizon_day.label("horizon_day"),
            sa.func.coalesce(led.c.posted, 0).label("posted"),
            sa.func.coalesce(led.c.indemnities, 0).label("indemnities"),
            indemnity_ok.label("indemnity_ok"),
        )
        .select_from(Claim)
        .join(Case, Case.id == Claim.case_id)
        .join(Client, Client.id == Case.client_id)
        .outerjoin(mandate, mandate.c.client_id == Case.client_id)
        .outerjoin(notice, notice.c.case_id == Case.id)
        .outerjoin(hold, hold.c.debtor_id == Case.debtor_id)
        .outerjoin(led, led.c.claim_id == Claim.id)
        .outerjoin(coverage, coverage.c.series == series_key)
        .where(case_filter)
        .cte("terms")
    )
    tc = terms.c

    # Each principal change contributes amount × (C(T) − C(x)), x = its day clamped to [s − 1, T].
    principal_change = sa.or_(
        ce.kind == EntryKind.PRINCIPAL.value,
        sa.and_(ce.kind == EntryKind.PAYMENT.value, ce.applies_to == "principal"),
        ce.kind.in_(PRINCIPAL_CREDITS),
    )
    x = least(greatest(day_number(ce.effective_on), tc.s1), tc.t)
    seg_x, on_x, cum_x = _day_at(segments, "seg_x", tc.series, x)
    changes = (
        sa.select(
            ce.claim_id,
            sa.cast(sa.func.sum(ce.amount_cents), sa.BigInteger).label("principal"),
            sa.cast(sa.func.sum(ce.amount_cents * cum_x), sa.BigInteger).label("weighted"),
        )
        .select_from(claim_entries)
        .join(terms, tc.claim_id == ce.claim_id)
        .outerjoin(seg_x, on_x)
        .where(principal_change)
        .group_by(ce.claim_id)
        .subquery("principal_change")
    )
    seg_t, on_t, cum_t = _day_at(segments, "seg_t", tc.series, tc.t)
    seg_s, on_s, _ = _day_at(segments, "seg_s", tc.series, tc.s1 + 1)
    numerator = sa.func.coalesce(changes.c.principal * cum_t - changes.c.weighted, 0)
    total = sa.case(
        (numerator >= 0, (2 * numerator + DENOMINATOR) // (2 * DENOMINATOR)),
        else_=-((DENOMINATOR - 2 * numerator) // (2 * DENOMINATOR)),
    )
    description = (
        sa.literal("Intérêts de retard du ") + fr_date(tc.s1 + 1) + " au " + fr_date(tc.t)
        + sa.case(
            (seg_s.c.rate_bp == seg_t.c.rate_bp, " (" + _percent(seg_t.c.rate_bp) + " %)"),
            else_=" (de " + _percent(seg_s.c.rate_bp) + " % à " + _percent(seg_t.c.rate_bp) + " % selon le semestre)",
        )
    )
    return (
        sa.select(
            tc.claim_id, tc.case_id, tc.client_id, tc.currency, tc.invoice_number, tc.due_date, tc.status,
            date_from_day(tc.horizon_day).label("horizon"),
            sa.cast(total, sa.BigInteger).label("total"),
            sa.cast(tc.posted, sa.BigInteger).label("posted"),
            sa.case((tc.t > tc.s1, description), else_="Intérêts de retard").label("description"),
            tc.indemnity_ok, tc.indemnities,
        )
        .select_from(terms)
        .outerjoin(changes, changes.c.claim_id == tc.claim_id)
        .outerjoin(seg_t, on_t)
        .outerjoin(seg_s, on_s)
    )


def _percent(rate_bp) -> sa.ColumnElement[str]:
    """Write basis points as a French percentage: 1215 → '12,15'."""
    cents = rate_bp % 100
    return (
        sa.cast(rate_bp // 100, sa.String) + ","
        + sa.case((cents < 10, "0"), else_="") + sa.cast(cents, sa.String)
    )


def accrued_by_claim(case_ids: list[int], through: date) -> dict[int, int]:
    """Return claim id → total interest accrued through `through`, in cents, given the ledger as it is now."""
    if not case_ids:
        return {}
    query = accrual_query(through, Case.id.in_(case_ids), horizon=False).subquery()
    return dict(db.session.execute(sa.select(query.c.claim_id, query.c.total)).all())


def indemnity_query(through: date, case_filter) -> sa.Select:
    """Return the claims owed the €40 indemnity by `through` that have none yet (case, client, claim, currency,
    invoice): late, between businesses, under a French mandate claiming it, no insolvency hold."""
    mandate = _mandate_pick(clock.today())
    insolvent = sa.select(Hold.id).where(
        Hold.debtor_id == Case.debtor_id, Hold.kind == HoldKind.INSOLVENCY.value, Hold.ended_at.is_(None)
    )
    posted = sa.select(LedgerEntry.id).where(
        LedgerEntry.claim_id == Claim.id, LedgerEntry.kind == EntryKind.INDEMNITY.value
    )
    return (
        sa.select(Claim.case_id, Claim.client_id, Claim.id.label("claim_id"), Claim.currency, Claim.invoice_number)
        .join(Case, Case.id == Claim.case_id)
        .join(mandate, mandate.c.client_id == Case.client_id)
        .where(
            case_filter,
            Case.kind == "b2b",
            mandate.c.jurisdiction == Jurisdiction.FR.value,
            mandate.c.claims_indemnity,
            Claim.due_date < through,
            ~insolvent.exists(),
            ~posted.exists(),
        )
    )
