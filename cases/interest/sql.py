"""Late-payment interest and the recovery indemnity, set-based: the rules of cases.interest in one SQL query.

`accrual_query` computes every claim's accrued interest at once (the same on PostgreSQL and SQLite), for the
daily posting and around payments; `cases.interest.rules.explain` computes the same figures in Python, period by
period, for the case screen, and a property test holds the two equal.

The statements take the day and the cases as parameters (`accrual_params`, `CASE_IDS`) so that each is built
once per set of rate series (`rate_segments`): building one costs more than running it on one case, and a
payment runs three.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import sqlalchemy as sa

from agency import clock
from agency.db import db
from agency.models import Client, Jurisdiction, Mandate
from cases.interest import series as rs
from cases.interest.rules import DENOMINATOR, NEVER, PRINCIPAL_CREDITS
from cases.interest.sqlfuncs import (
    date_from_day,
    day_number,
    day_of,
    fr_date,
    greatest,
    least,
    utc_day_number,
)
from cases.models import (
    SENT_STATUSES,
    Case,
    Claim,
    EntryKind,
    JudicialTitle,
    LedgerEntry,
    Letter,
    LetterKind,
    Proceeding,
    TitleClaim,
)
from debtors.models import Hold, HoldKind

# The cases a statement is limited to, given when it runs: {"case_ids": [...]}.
_CASE_IDS = sa.bindparam("case_ids", expanding=True)
CASE_IDS = Case.id.in_(_CASE_IDS)
THROUGH_DAY = sa.bindparam("through_day", type_=sa.Integer)  # the day accrued through, as a day number
THROUGH = sa.bindparam("through", type_=sa.Date)  # the same day as a date
MANDATES_ON = sa.bindparam("mandates_on", type_=sa.Date)  # the day whose mandates apply (today)


def accrual_params(through: date) -> dict:
    """Return the parameters of the statements built here for a run through `through`."""
    return {"through_day": day_of(through), "through": through, "mandates_on": clock.today()}


def rate_segments() -> tuple[rs.Segment, ...]:
    """Return every series' segments as the rate tables and mandates hold them now.

    Read at each run, so that an edited rate applies at once; statements are built once per distinct value.
    """
    series = rs.build_series(rs.load_rates(), _contractual_rates())
    return tuple(seg for segments in series.values() for seg in segments)


def _contractual_rates() -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(Mandate.id, Mandate.contractual_rate_bp).where(Mandate.contractual_rate_bp.is_not(None))
        ).all()
    )


def _mandate_pick(on: sa.ColumnElement) -> sa.Subquery:
    """One mandate per client: the latest started by `on` (as `cases.interest.rules.mandate_for`)."""
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


def accrual_query(
    rate_series: tuple[rs.Segment, ...], case_filter, *, horizon: bool, by_case: bool = False
) -> sa.Select:
    """Return the per-claim accrual: claim, case, client, horizon, total cents, posted cents, description.

    Accrued through the `through_day` parameter with the mandates of `mandates_on` (`accrual_params`), on
    the `rate_series` segments. With `horizon`, each claim is brought up to the later of that day and its
    last posting, never back. `case_filter` is a condition on Case; `by_case` says it includes `CASE_IDS`.
    """
    segments = rs.segment_select(rate_series).cte("rate_segment")
    coverage = (
        sa.select(segments.c.series, sa.func.min(segments.c.start_day).label("first_day"),
                  sa.func.max(segments.c.end_day).label("last_day"))
        .group_by(segments.c.series)
        .subquery("coverage")
    )
    mandate = _mandate_pick(MANDATES_ON)
    notice = (
        sa.select(Letter.case_id, sa.func.min(Letter.issued_on).label("issued_on"))
        .where(Letter.kind == LetterKind.FORMAL_NOTICE.value, Letter.status.in_(SENT_STATUSES))
        .group_by(Letter.case_id)
    )
    # The opening judgment's date, else the day the hold was recorded (as `cases.interest.rules.insolvency_start`).
    opened = sa.func.coalesce(day_number(Hold.reference_date), utc_day_number(Hold.started_at))
    hold = (
        sa.select(Hold.debtor_id, sa.func.min(opened).label("day"))
        .where(Hold.kind == HoldKind.INSOLVENCY.value, Hold.ended_at.is_(None))
        .group_by(Hold.debtor_id)
    )
    if by_case:
        # PostgreSQL does not push a join's condition into a grouped subquery: without these, a payment's posting
        # groups every insolvency hold of the agency (and every title) to keep the one of its debtor.
        notice = notice.where(Letter.case_id.in_(_CASE_IDS))
        hold = hold.where(Hold.debtor_id.in_(sa.select(Case.debtor_id).where(CASE_IDS).correlate(None)))
    notice, hold = notice.subquery("notice"), hold.subquery("insolvency")
    title = _enforceable_titles(by_case)
    share = sa.orm.aliased(TitleClaim)
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
    )
    if by_case:
        # A claim's entries are on its case, a reversal on the case of the entry it undoes: the case index finds
        # a few cases' entries, where the claim taken through the reversal (the COALESCE) reads the whole ledger.
        claim_entries = claim_entries.where(entry.case_id.in_(_CASE_IDS))
    claim_entries = claim_entries.cte("claim_entry")
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
    legal_key = sa.case((Client.is_private_individual, rs.LEGAL_INDIVIDUAL), else_=rs.LEGAL_OTHER)
    titled = title.c.case_id.is_not(None)
    series_key = sa.case(
        (titled, legal_key),
        (sa.not_(fr), sa.null()),
        (sa.not_(mandate.c.claims_penalties), sa.null()),
        (b2b, sa.case((mandate.c.contractual_rate_bp.is_(None), rs.B2B_DEFAULT), else_=-mandate.c.id)),
        else_=legal_key,
    )
    start_day = sa.case((titled, title.c.start_day), (b2b, day_number(Claim.due_date) + 1),
                        else_=day_number(notice.c.issued_on) + 1)
    asked = THROUGH_DAY
    horizon_day = greatest(asked, sa.func.coalesce(led.c.last_day, asked)) if horizon else asked
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
            sa.func.coalesce(coverage.c.first_day, NEVER).label("covered_from"),
            sa.case((series_key.is_(None), -NEVER), else_=end_day).label("t"),
            horizon_day.label("horizon_day"),
            sa.func.coalesce(led.c.posted, 0).label("posted"),
            sa.func.coalesce(led.c.indemnities, 0).label("indemnities"),
            indemnity_ok.label("indemnity_ok"),
            titled.label("titled"),
            sa.func.coalesce(title.c.increase_day, NEVER).label("increase_day"),
            sa.func.coalesce(title.c.increase_bp, 0).label("increase_bp"),
            sa.func.coalesce(share.interest_cents, 0).label("fixed"),
        )
        .select_from(Claim)
        .join(Case, Case.id == Claim.case_id)
        .join(Client, Client.id == Case.client_id)
        .outerjoin(mandate, mandate.c.client_id == Case.client_id)
        .outerjoin(notice, notice.c.case_id == Case.id)
        .outerjoin(hold, hold.c.debtor_id == Case.debtor_id)
        .outerjoin(led, led.c.claim_id == Claim.id)
        .outerjoin(title, title.c.case_id == Case.id)
        .outerjoin(share, sa.and_(share.title_id == title.c.title_id, share.claim_id == Claim.id))
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
    cum_x = cum_x + _increase(tc, x)
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
    cum_t = cum_t + _increase(tc, tc.t)
    # Days before the rate tables' first half-year accrue nothing: the period described starts where they do.
    from_day = greatest(tc.s1 + 1, tc.covered_from)
    seg_s, on_s, _ = _day_at(segments, "seg_s", tc.series, from_day)
    numerator = sa.func.coalesce(changes.c.principal * cum_t - changes.c.weighted, 0)
    total = sa.case(
        (numerator >= 0, (2 * numerator + DENOMINATOR) // (2 * DENOMINATOR)),
        else_=-((DENOMINATOR - 2 * numerator) // (2 * DENOMINATOR)),
    ) + tc.fixed
    rate_s = seg_s.c.rate_bp + sa.case((from_day >= tc.increase_day, tc.increase_bp), else_=0)
    rate_t = seg_t.c.rate_bp + sa.case((tc.t >= tc.increase_day, tc.increase_bp), else_=0)
    what = sa.case((tc.titled, "Intérêts au taux légal (titre exécutoire)"), else_="Intérêts de retard")
    description = (
        what + " du " + fr_date(from_day) + " au " + fr_date(tc.t)
        + sa.case(
            (rate_s == rate_t, " (" + _percent(rate_t) + " %)"),
            else_=" (de " + _percent(rate_s) + " % à " + _percent(rate_t) + " %"
            + sa.case((tc.titled, " avec la majoration)"), else_=" selon le semestre)"),
        )
    )
    return (
        sa.select(
            tc.claim_id, tc.case_id, tc.client_id, tc.currency, tc.invoice_number, tc.due_date, tc.status,
            date_from_day(tc.horizon_day).label("horizon"),
            sa.cast(total, sa.BigInteger).label("total"),
            sa.cast(tc.posted, sa.BigInteger).label("posted"),
            sa.case((tc.t >= from_day, description), else_=what).label("description"),
            tc.indemnity_ok, tc.indemnities,
        )
        .select_from(terms)
        .outerjoin(changes, changes.c.claim_id == tc.claim_id)
        .outerjoin(seg_t, on_t)
        .outerjoin(seg_s, on_s)
    )


def _enforceable_titles(by_case: bool = False) -> sa.Subquery:
    """Per case, its latest title that became enforceable (as `cases.interest.rules.enforceable_title`):
    the day interest runs from (the title's, else its date) and the L313-3 increase fixed on it; with
    `by_case`, only the titles of the `CASE_IDS` cases are ranked."""
    rank = sa.func.row_number().over(
        partition_by=Proceeding.case_id, order_by=(JudicialTitle.enforceable_on.desc(), JudicialTitle.id.desc())
    )
    ranked = (
        sa.select(
            Proceeding.case_id, JudicialTitle.id.label("title_id"),
            day_number(sa.func.coalesce(JudicialTitle.interest_from, JudicialTitle.issued_on)).label("start_day"),
            day_number(JudicialTitle.increase_on).label("increase_day"), JudicialTitle.increase_bp,
            rank.label("rank"),
        )
        .join(Proceeding, Proceeding.id == JudicialTitle.proceeding_id)
        .where(JudicialTitle.enforceable_on.is_not(None), *([Proceeding.case_id.in_(_CASE_IDS)] if by_case else []))
        .subquery("title_ranked")
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery("title")


def _increase(terms, day) -> sa.ColumnElement[int]:
    """The L313-3 increase's share of C(day): its points times the days from the increase's day to `day`."""
    return terms.increase_bp * greatest(day - terms.increase_day + 1, 0)


def _percent(rate_bp) -> sa.ColumnElement[str]:
    """Write basis points as a French percentage: 1215 → '12,15'."""
    cents = rate_bp % 100
    return (
        sa.cast(rate_bp // 100, sa.String) + ","
        + sa.case((cents < 10, "0"), else_="") + sa.cast(cents, sa.String)
    )


def accrued_by_claim(
    case_ids: list[int], through: date, segments: tuple[rs.Segment, ...] | None = None
) -> dict[int, int]:
    """Return claim id → total interest accrued through `through`, in cents, given the ledger as it is now.

    `segments` are those of `rate_segments()` when the caller has just read them.
    """
    if not case_ids:
        return {}
    parameters = {**accrual_params(through), "case_ids": list(case_ids)}
    statement = _accrued_statement(rate_segments() if segments is None else segments)
    return dict(db.session.execute(statement, parameters).all())


@lru_cache(maxsize=8)
def _accrued_statement(rate_series: tuple[rs.Segment, ...]) -> sa.Select:
    query = accrual_query(rate_series, CASE_IDS, horizon=False, by_case=True).subquery()
    return sa.select(query.c.claim_id, query.c.total)


def indemnity_query(case_filter) -> sa.Select:
    """Return the claims owed the €40 indemnity by the `through` parameter that have none yet (case, client,
    claim, currency, invoice): late, between businesses, under a French mandate claiming it, no insolvency hold."""
    mandate = _mandate_pick(MANDATES_ON)
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
            Claim.due_date < THROUGH,
            ~insolvent.exists(),
            ~posted.exists(),
        )
    )
