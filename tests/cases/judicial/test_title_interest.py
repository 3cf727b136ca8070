"""Interest under an enforceable title (C. mon. fin. L313-3): the interest the title fixed, then the legal rate
from the day the title sets, five points more from two months after the title became enforceable; the
Python explanation, the set-based SQL and the ledger's postings agree, and a later change of the
figures never moves a title's increase."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.db import db
from cases.interest.posting import post_interest
from cases.interest.rules import explain
from cases.interest.sql import accrued_by_claim
from cases.judicial import settings as figures
from cases.judicial.steps import TitleValues, record_step
from cases.judicial.title_interest import split_pro_rata
from cases.ledger import balance
from cases.models import EntryKind, JudicialTitle, LedgerEntry, Proceeding, RatePeriod, StepKind, TitleClaim
from tests import factories
from tests.cases.interest.helpers import business_case, pay_principal
from tests.cases.judicial.helpers import started
from tests.cases.judicial.test_pages import signed_in

ORDER = TitleValues(court="Tribunal de commerce de Lyon", number="2026/91", principal_cents=900_000,
                    interest_cents=12_000, interest_from=date(2026, 5, 16), article_700_cents=0, costs_cents=0)
DENOMINATOR = 10_000 * 365


def _rounded(numerator: int) -> int:
    return (2 * numerator + DENOMINATOR) // (2 * DENOMINATOR)


def enforceable_order(time_machine, amounts=(900_000,)):
    """An order issued and served on 10 June 2026, enforceable on 10 August: the increase from 10 October."""
    case, proceeding = started(time_machine, amounts=amounts)
    time_machine.move_to("2026-06-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ORDER_ISSUED, date(2026, 6, 10), actor=None, title=ORDER)
    record_step(proceeding, StepKind.SERVED, date(2026, 6, 10), actor=None)
    return case, proceeding


def test_before_it_is_enforceable_the_order_changes_nothing(db_session, time_machine):
    case, proceeding = enforceable_order(time_machine)
    [claim] = explain(case, date(2026, 7, 31))
    assert not claim.title and claim.fixed_cents == 0
    assert claim.periods[0].rate_bp == 215 + 1000  # ECB (2.15 % in 2026 H1) + 10 points, from the due date


def test_legal_rate_from_the_titles_day_then_five_points_more_two_months_after_it_is_enforceable(
        db_session, time_machine):
    case, proceeding = enforceable_order(time_machine)
    time_machine.move_to("2026-08-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    title = proceeding.title
    assert (title.increase_on, title.increase_bp) == (date(2026, 10, 10), 500)

    [claim] = explain(case, date(2026, 12, 31))
    assert claim.title and claim.fixed_cents == 12_000
    # 16 May–30 June at 2.62 % (2026 H1, "all other cases"), 1 July–9 October at 2.75 %, then 7.75 %.
    assert [(p.start, p.end, p.days, p.rate_bp) for p in claim.periods] == [
        (date(2026, 5, 16), date(2026, 6, 30), 46, 262),
        (date(2026, 7, 1), date(2026, 10, 9), 101, 275),
        (date(2026, 10, 10), date(2026, 12, 31), 83, 775),
    ]
    assert claim.total_cents == 12_000 + _rounded(900_000 * (46 * 262 + 101 * 275 + 83 * 775)) == 37_681
    # On its boundary: the day before the increase at the legal rate, the day itself five points more.
    day_before = explain(case, date(2026, 10, 9))[0].total_cents
    first_day = explain(case, date(2026, 10, 10))[0].total_cents
    assert day_before == 12_000 + _rounded(900_000 * (46 * 262 + 101 * 275)) == 21_820
    assert first_day == 12_000 + _rounded(900_000 * (46 * 262 + 101 * 275 + 775)) == 22_011
    for through in (date(2026, 10, 9), date(2026, 10, 10), date(2026, 12, 31)):
        assert accrued_by_claim([case.id], through) == {c.claim_id: c.total_cents for c in explain(case, through)}


def test_the_postings_bring_the_ledger_to_the_titles_basis(db_session, time_machine):
    case, proceeding = enforceable_order(time_machine)
    time_machine.move_to("2026-08-09 10:00:00+02:00", tick=False)
    post_interest(date(2026, 8, 9), [case.id])
    before = balance(case.id).interest
    assert before == explain(case, date(2026, 8, 9))[0].total_cents > 0  # ECB + 10 from the due date
    time_machine.move_to("2026-08-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    time_machine.move_to("2026-12-31 10:00:00+01:00", tick=False)
    post_interest(date(2026, 12, 31), [case.id])
    db.session.expire_all()
    assert balance(case.id).interest == 37_681  # the title's basis, the earlier rate corrected away
    last = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id,
                                                            LedgerEntry.kind == EntryKind.INTEREST.value)
                              .order_by(LedgerEntry.id.desc())).first()
    assert "Intérêts au taux légal (titre exécutoire) du 16/05/2026 au 31/12/2026" in last.description
    assert "de 2,62 % à 7,75 % avec la majoration" in last.description
    assert post_interest(date(2026, 12, 31), [case.id]).interest_entries == 0  # a rerun adds nothing


def test_the_titles_fixed_interest_is_shared_over_the_claims_to_the_cent(db_session, time_machine):
    case, proceeding = enforceable_order(time_machine, amounts=(600_001, 299_999))
    time_machine.move_to("2026-08-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    shares = {c.claim_id: c.fixed_cents for c in explain(case, date(2026, 8, 10))}
    assert sorted(shares.values()) == [4_000, 8_000] and sum(shares.values()) == 12_000
    assert accrued_by_claim([case.id], date(2026, 11, 30)) == {
        c.claim_id: c.total_cents for c in explain(case, date(2026, 11, 30))}


def test_a_later_change_of_the_figures_never_moves_a_titles_increase(db_session, time_machine):
    case, proceeding = enforceable_order(time_machine)
    time_machine.move_to("2026-08-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    admin = factories.user("admin")
    figures.add_value("title_increase_bp", "6", date(2026, 8, 1), source="test", actor=admin)
    figures.add_value("title_increase_months", "3", date(2026, 8, 1), source="test", actor=admin)
    db.session.expire_all()
    title = db.session.get(JudicialTitle, proceeding.title.id)
    assert (title.increase_on, title.increase_bp) == (date(2026, 10, 10), 500)
    assert explain(case, date(2026, 12, 31))[0].total_cents == 37_681
    # A title made enforceable under the new figures takes them.
    other_case, other = enforceable_order(time_machine)
    time_machine.move_to("2026-08-11 10:00:00+02:00", tick=False)
    record_step(other, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    assert (other.title.increase_on, other.title.increase_bp) == (date(2026, 11, 10), 600)


def test_the_case_page_shows_the_titles_basis_and_its_increase(app, db_session, time_machine):
    case, proceeding = enforceable_order(time_machine)
    time_machine.move_to("2026-08-10 10:00:00+02:00", tick=False)
    record_step(proceeding, StepKind.ENFORCEABLE, date(2026, 8, 10), actor=None)
    manager = factories.user("manager")
    db_session.commit()
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    page = signed_in(app, manager).get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="title-increase"' in page and "+5,00 % à partir du 10 oct. 2026" in page
    assert "Titre exécutoire : le taux légal à partir du jour fixé par le titre" in page
    assert "Intérêts fixés par le titre, inclus : 120,00" in page
    assert "7,75 %" in page  # the period after the increase, in the interest card


def test_split_pro_rata_sums_to_the_total_and_follows_the_weights():
    assert split_pro_rata(10, {1: 1, 2: 1, 3: 1}) == {1: 4, 2: 3, 3: 3}
    assert split_pro_rata(0, {1: 5}) == {1: 0}
    assert split_pro_rata(500, {1: 0, 2: 0}) == {1: 0, 2: 0}


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(1, 10**8), min_size=1, max_size=6))
def test_split_pro_rata_is_exact_and_never_more_than_a_cent_off(total, weights):
    shares = split_pro_rata(total, dict(enumerate(weights)))
    assert sum(shares.values()) == total
    whole = sum(weights)
    for key, weight in enumerate(weights):
        assert abs(shares[key] * whole - total * weight) < whole


# --- the engine on random titles, against a day-by-day count ----------------------------------------------

DAY0 = date(2023, 1, 1)
days = st.integers(min_value=0, max_value=4 * 365)


def _rates() -> dict[tuple[str, date], int]:
    return {(k, s): r for k, s, r in db.session.execute(
        sa.select(RatePeriod.kind, RatePeriod.starts_on, RatePeriod.rate_bp))}


def _count(tables, column: str, start: date, through: date, increase_on: date, increase_bp: int,
           changes: list[tuple[date, int]]) -> int:
    numerator, day = 0, start
    while day <= through:
        rate = tables.get((column, date(day.year, 1 if day.month <= 6 else 7, 1)))
        if rate is None:
            break
        rate += increase_bp if day >= increase_on else 0
        numerator += sum(amount for on, amount in changes if on < day) * rate
        day += timedelta(days=1)
    return _rounded(numerator)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    private=st.booleans(),
    amounts=st.lists(st.tuples(st.integers(1, 5_000_000), days), min_size=1, max_size=3),
    fixed=st.integers(0, 500_000),
    interest_from=st.one_of(st.none(), days),
    issued=days, enforceable_after=st.integers(0, 400), increase_after=st.integers(0, 200),
    increase_bp=st.sampled_from([0, 500, 650]),
    payments=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 2_000_000), days), max_size=4),
    through=days,
)
def test_sql_equals_python_equals_counting_days_under_a_title(
        db_session, private, amounts, fixed, interest_from, issued, enforceable_after, increase_after, increase_bp,
        payments, through):
    case = business_case([(cents, DAY0 + timedelta(days=d)) for cents, d in amounts], kind="b2c", private=private)
    issued_on = DAY0 + timedelta(days=issued)
    proceeding = Proceeding(reference=f"JUD-P-{case.id}", case_id=case.id, client_id=case.client_id,
                            route="order_judicial", suggested_route="order_judicial", stage="enforceable")
    db.session.add(proceeding)
    db.session.flush()
    start = DAY0 + timedelta(days=interest_from) if interest_from is not None else issued_on
    enforceable_on = issued_on + timedelta(days=enforceable_after)
    increase_on = enforceable_on + timedelta(days=increase_after)
    title = JudicialTitle(proceeding_id=proceeding.id, kind="order_to_pay", issued_on=issued_on,
                          enforceable_on=enforceable_on, interest_cents=fixed,
                          interest_from=start if interest_from is not None else None,
                          increase_on=increase_on, increase_bp=increase_bp)
    db.session.add(title)
    db.session.flush()
    shares = split_pro_rata(fixed, {c.id: c.amount_cents for c in case.claims})
    db.session.add_all(TitleClaim(title_id=title.id, claim_id=k, interest_cents=v) for k, v in shares.items())
    history = {c.id: [(c.due_date, c.amount_cents)] for c in case.claims}
    for index, cents, d in payments:
        claim = case.claims[index % len(case.claims)]
        on = DAY0 + timedelta(days=d)
        pay_principal(case, claim, cents, on)
        history[claim.id].append((on, -cents))
    db.session.flush()
    db.session.expire(case, ["ledger_entries"])
    through_day = DAY0 + timedelta(days=through)

    sql = accrued_by_claim([case.id], through_day)
    assert sql == {c.claim_id: c.total_cents for c in explain(case, through_day)}
    tables = _rates()
    column = "legal_individual" if private else "legal_other"
    for claim in case.claims:
        expected = shares[claim.id] + _count(tables, column, start, through_day, increase_on, increase_bp,
                                             history[claim.id])
        assert sql[claim.id] == expected
