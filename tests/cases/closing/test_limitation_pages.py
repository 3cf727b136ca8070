"""Limitation on screen: the case page's card (staff and the client's portal), the managers' list, tenancy."""

from __future__ import annotations

from datetime import date

import pytest

from cases.closing.limitation import refresh_limitations
from tests import factories
from tests.cases.closing.limitation_helpers import TODAY, case_due, step

DAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)


def test_the_case_page_shows_each_claims_date_and_what_interrupted_it(client, login_as):
    case = case_due(date(2024, 3, 1), amounts=(20_000, 30_000))
    served = step(case, "served", date(2026, 1, 20))
    login_as("manager")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="limitation"' in page
    assert f"injonction de payer #{served.id}, 20/01/2026" in page
    assert "20 janv. 2028" in page and "2 ans (C. consom. L218-2)" in page
    assert 'data-testid="prescribed"' not in page


def test_a_prescribed_case_proposes_closing_to_staff_and_shows_in_the_clients_portal(client, login_as):
    creditor = factories.client()
    case = case_due(date(2024, 3, 1), client=creditor)  # prescribed since 2 March 2026
    other = case_due(date(2024, 3, 1))
    login_as("client", creditor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Prescrit : proposer la clôture." in page and "1 mars 2026" in page
    assert client.get(f"/cases/{other.id}").status_code == 404
    assert client.get("/limitation").status_code == 403


def test_the_managers_list_sorts_by_date_and_filters_by_client(client, login_as):
    first, second = factories.client(name="Alpha SA"), factories.client(name="Bêta SARL")
    later = case_due(date(2025, 2, 20), client=first)
    sooner = case_due(date(2025, 1, 10), client=second)
    far = case_due(date(2025, 9, 1), client=first)
    refresh_limitations(DAY)
    login_as("manager")
    page = client.get("/limitation").get_data(as_text=True)
    assert page.index(sooner.reference) < page.index(later.reference) and far.reference not in page
    filtered = client.get(f"/limitation?client={first.id}").get_data(as_text=True)
    assert later.reference in filtered and sooner.reference not in filtered


def test_collectors_do_not_see_the_list(client, login_as):
    login_as("collector")
    assert client.get("/limitation").status_code == 403
