"""The route a case is suggested, on the thresholds: €5,000 inclusive, traders or not, rent and credit."""

from __future__ import annotations

from datetime import date

import pytest

from agency.models import ClaimsNature
from cases.judicial.routes import Facts, suggest
from cases.models import Route

ON = date(2026, 12, 7)


def facts(total: int, *, traders: bool = False, nature: str = ClaimsNature.SALES, disputed: bool = False,
          abroad: bool = False) -> Facts:
    return Facts(total_cents=total, between_traders=traders, nature=nature, disputed=disputed, abroad=abroad)


@pytest.mark.parametrize(("total", "traders", "route"), [
    (500_000, False, Route.SMALL_CLAIMS),  # €5,000 exactly: still small claims (L125-1 says "n'excède pas")
    (500_000, True, Route.SMALL_CLAIMS),  # any debtor
    (500_001, True, Route.ORDER_COMMERCIAL),  # one cent more: an order to pay, between traders
    (500_001, False, Route.ORDER_JUDICIAL),
    (10_000_000, False, Route.ORDER_JUDICIAL),  # at the referral threshold: still an order
    (10_000_001, True, Route.REFERRAL),  # above: a lawyer
])
def test_the_route_follows_the_thresholds_and_who_the_parties_are(db_session, total, traders, route):
    suggestion = suggest(facts(total, traders=traders), ON)
    assert suggestion.route == route
    assert suggestion.reasons


@pytest.mark.parametrize("nature", [ClaimsNature.RENT, ClaimsNature.CONSUMER_CREDIT])
def test_rent_and_consumer_credit_go_to_the_protection_judge(db_session, nature):
    assert suggest(facts(800_000, nature=nature), ON).route == Route.ORDER_PROTECTION
    assert suggest(facts(80_000, nature=nature), ON).route == Route.SMALL_CLAIMS


def test_a_disputed_claim_or_a_debtor_abroad_goes_to_a_lawyer_whatever_the_amount(db_session):
    assert suggest(facts(10_000, disputed=True), ON).route == Route.REFERRAL
    assert suggest(facts(10_000, abroad=True), ON).route == Route.REFERRAL


def test_once_small_claims_were_declined_an_order_is_suggested(db_session):
    assert suggest(facts(300_000, traders=True), ON, small_claims_declined=True).route == Route.ORDER_COMMERCIAL
    suggestion = suggest(facts(300_000), ON, small_claims_declined=True)
    assert suggestion.route == Route.ORDER_JUDICIAL
    assert "refusé la procédure des petites créances" in str(suggestion.reasons[0])


def test_the_threshold_is_data_a_new_value_applies_from_its_day(db_session):
    from cases.judicial import settings
    from tests import factories

    admin = factories.user("admin")
    settings.add_value("small_claims_max_cents", "6 000,00", date(2027, 1, 1), source="décret (test)", actor=admin)
    assert suggest(facts(550_000), ON).route == Route.ORDER_JUDICIAL
    assert suggest(facts(550_000), date(2027, 1, 1)).route == Route.SMALL_CLAIMS
