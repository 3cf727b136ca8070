"""The dashboard's figures on the hand-computed portfolio of dashboard_portfolio.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports.figures import (
    ClosedRow,
    attributions,
    case_counts,
    channel_figures,
    closed_by_reason,
    contact_figures,
    liquidation_curves,
    money_figures,
    rate,
)
from reports.filters import Filters
from tests.reports.dashboard_portfolio import (
    close_some,
    dash_fixture,  # noqa: F401 (the fixture `dash`)
)


def _filters(dash, **fields) -> Filters:
    return Filters(date(2026, 1, 1), date(2026, 6, 30), client_id=dash["a"].id, **fields)


def test_rate_is_rounded_half_up_on_cents():
    assert rate(110_000, 430_000) == Decimal("25.6")  # 25.581…
    assert rate(1, 8) == Decimal("12.5")
    assert rate(1, 16) == Decimal("6.3")  # 6.25 rounds up
    assert rate(5, 0) is None


def test_money_and_recovery_rate(dash):
    money = money_figures(_filters(dash))
    assert money.placed == 100_000 + 50_000 + 200_000 + 80_000
    # 20,000 + 30,000 + 50,000 + 10,000; the bounced 5,000 is reversed; December's case is outside the period.
    assert money.collected == 110_000
    assert money.written_off == 0
    assert money.outstanding == 430_000 - 110_000
    assert money.recovery_rate == Decimal("25.6")


def test_liquidation_curve_points(dash, app):
    curves = liquidation_curves(_filters(dash), date(2026, 6, 15))
    january, february = curves
    assert (january.month, january.placed) == (date(2026, 1, 1), 150_000)
    # 20,000 in January (month 0), 50,000 in February (1), 30,000 in March (2): of 150,000.
    assert january.collected == [20_000, 70_000, 100_000, 100_000, 100_000, 100_000]
    assert january.points[:3] == [Decimal("13.3"), Decimal("46.7"), Decimal("66.7")]
    # 5,000 paid and reversed in February (month 0), 10,000 in April (month 2): of 280,000.
    assert (february.month, february.placed) == (date(2026, 2, 1), 280_000)
    assert february.collected == [0, 0, 10_000, 10_000, 10_000]
    assert february.points == [Decimal("0.0"), Decimal("0.0"), Decimal("3.6"), Decimal("3.6"), Decimal("3.6")]


def test_case_counts(dash):
    counts = case_counts(_filters(dash))
    assert (counts.opened, counts.paid, counts.plan, counts.dispute, counts.hold, counts.closed) == (4, 1, 0, 1, 1, 0)


def test_contacts_and_promises(dash):
    figures = contact_figures(_filters(dash))
    assert figures.attempts == 9  # c1: 3, c2: 1, c3: 5; the scheduled SMS was never sent
    assert figures.calls == 5
    assert figures.right_party == 2  # c1's right-party call, c3's call that got a promise
    assert figures.contact_rate == Decimal("40.0")
    assert (figures.promises, figures.kept, figures.resolved) == (4, 1, 3)
    assert figures.kept_rate == Decimal("33.3")
    assert figures.days == {10: 1, 16: 1, 45: 1}  # c3's first payment was reversed: April's counts
    assert figures.average_days == Decimal("23.7")
    assert figures.median_days == Decimal("16.0")


def test_channel_attribution(dash):
    found = {(a.case_id, a.cents): (a.kind, a.step) for a in attributions(_filters(dash))}
    c1, c2, c3 = dash["c1"].id, dash["c2"].id, dash["c3"].id
    assert found == {
        (c1, 20_000): ("sms", 2),  # the SMS five days before
        (c1, 30_000): ("call", None),  # the call four days before; February's call is 32 days before
        (c2, 50_000): ("none", None),  # the letter was 36 days before
        (c3, 10_000): ("letter", 4),  # the reminder letter came after the call with the promise
    }
    by_channel, by_step = channel_figures(attributions(_filters(dash)))
    assert [(r.key, r.payments, r.cents, r.share) for r in by_channel] == [
        ("none", 1, 50_000, Decimal("45.5")), ("call", 1, 30_000, Decimal("27.3")),
        ("sms", 1, 20_000, Decimal("18.2")), ("letter", 1, 10_000, Decimal("9.1")),
    ]
    assert [r.key for r in by_step] == ["none", "step-manual", "step-2", "step-4"]


def test_filters_by_collector_and_placement(dash, db_session):
    from tests import factories

    collector = factories.user("collector")
    dash["c3"].assigned_collector_id = collector.id
    db_session.flush()
    money = money_figures(_filters(dash, collector_id=collector.id))
    assert (money.placed, money.collected) == (200_000, 10_000)
    assert money_figures(_filters(dash, placement_id=999_999)).placed == 0


def test_the_refreshed_figures_equal_the_live_ones(dash):
    from reports.dashboard import dashboard
    from reports.figures import contact_figures as live_contacts

    close_some(dash)
    for fields in ({}, {"placement_id": 999_999}):
        filters = _filters(dash, **fields)
        shown = dashboard(filters, date(2026, 6, 15))
        assert shown.refreshed is not None
        assert shown.money == money_figures(filters)
        assert shown.counts == case_counts(filters)
        assert shown.contacts == live_contacts(filters)
        assert shown.curves == liquidation_curves(filters, date(2026, 6, 15))
        assert (shown.by_channel, shown.by_step) == channel_figures(attributions(filters))
        assert shown.closed_by_reason == closed_by_reason(filters)
    assert dashboard(_filters(dash), date(2026, 6, 15)).closed_by_reason != []
    # The whole agency: client B's case is in the figures; December's case is not.
    everyone = dashboard(Filters(date(2026, 1, 1), date(2026, 6, 30)), date(2026, 6, 15))
    assert (everyone.money.placed, everyone.counts.opened) == (430_000 + 999_900, 5)
    assert everyone.closed_by_reason == closed_by_reason(Filters(date(2026, 1, 1), date(2026, 6, 30)))


def test_figures_wait_for_the_next_refresh(dash, db_session):
    from reports.dashboard import dashboard
    from reports.facts import refresh_figures
    from tests import factories

    factories.payment(dash["c4"], 4_000, date(2026, 6, 1))
    db_session.flush()
    assert dashboard(_filters(dash), date(2026, 6, 15)).money.collected == 110_000  # as of the last refresh
    refresh_figures()
    assert dashboard(_filters(dash), date(2026, 6, 15)).money.collected == 114_000


def test_closed_unpaid_by_reason(dash, db_session):
    from reports.dashboard import dashboard

    closings = close_some(dash)
    c3, c4, other = closings["c3"], closings["c4"], closings["other"]
    # c3's balance less the late payment; c1 was reopened: its write-off is reversed and it is not counted.
    assert c3.written_off_cents > 0 and c4.written_off_cents == 80_000
    expected = sorted([ClosedRow("unfindable", 1, c3.written_off_cents),
                       ClosedRow("client_agreement", 1, c4.written_off_cents)], key=lambda r: -r.written_off)
    assert closed_by_reason(_filters(dash)) == expected
    assert dashboard(_filters(dash), date(2026, 6, 15)).closed_by_reason == expected
    # Client B's case adds to the agency's own reason when every client is shown.
    everyone = dashboard(Filters(date(2026, 1, 1), date(2026, 6, 30)), date(2026, 6, 15)).closed_by_reason
    assert everyone[0] == ClosedRow("client_agreement", 2, c4.written_off_cents + other.written_off_cents)
    assert dashboard(_filters(dash), date(2026, 6, 15)).counts.closed == 2
