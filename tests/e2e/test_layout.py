"""The layout at common screen sizes: the administrator's navbar on one line at 1440 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]

COLLECTOR = "Camille Recouvreur"  # the seeded collector


def test_the_admin_navbar_fits_on_one_line_at_1440(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.admin)
    tops = page.eval_on_selector_all(
        ".amiable-nav .navbar-brand, .amiable-nav .nav-link, .amiable-nav .btn, [data-testid=whoami]",
        "items => items.map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))",
    )
    screenshot(page, "navbar-admin-1440")
    assert len(tops) > 8 and max(tops) - min(tops) <= 4, tops  # every item on the same line
    height = page.eval_on_selector(".amiable-nav", "nav => nav.getBoundingClientRect().height")
    assert height < 70, height


def test_a_manager_sets_a_collector_s_teams_from_the_board(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.manager)
    page.goto("/queue/board")
    for name in ("Équipe Layout Nord", "Équipe Layout Sud"):
        page.fill("#name", name)
        page.click("form[action$='/queue/teams'] [type=submit]")
        page.wait_for_url("**/queue/board")
    row = page.get_by_test_id("collectors").locator("tr", has_text=COLLECTOR)
    row.get_by_test_id("member-form").locator("button.dropdown-toggle").click()
    row.get_by_label("Équipe Layout Nord").check()
    row.get_by_label("Équipe Layout Sud").check()
    screenshot(page, "board-teams-dropdown")
    row.get_by_role("button", name="Enregistrer les équipes").click()
    page.wait_for_url("**/queue/board")
    row = page.get_by_test_id("collectors").locator("tr", has_text=COLLECTOR)
    assert "Équipe Layout Nord, Équipe Layout Sud" in row.inner_text()
    pools = page.get_by_test_id("pools")
    for team in ("Équipe Layout Nord", "Équipe Layout Sud"):
        assert COLLECTOR in pools.locator("tr", has_text=team).inner_text()  # a member of both pools
    screenshot(page, "board-teams-saved")
    page.goto("/alerts/")
    screenshot(page, "alerts-1440")


def test_the_client_s_case_page_shows_its_reference_and_contacts_only(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.client_a_user)
    with_ref, without_ref = live_server.cases[0], live_server.cases[2]  # C-1001, and none
    page.goto(f"/cases/{with_ref.id}")
    assert page.get_by_test_id("case-client").inner_text().strip() == "réf. client C-1001"
    history = page.get_by_test_id("history").inner_text()
    assert "Appel" in history and "Note" not in history
    screenshot(page, "client-case-page")
    page.goto(f"/cases/{without_ref.id}")
    assert page.get_by_test_id("case-client").count() == 0
