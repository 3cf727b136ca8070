"""An administrator reaches a debtor's personal data page, exports the archive, and sees why it cannot be erased."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.no_db]


def test_admin_exports_a_debtors_data_and_is_told_why_it_is_kept(page: Page, live_server):
    case = live_server.cases_a[0]
    sign_in(page, live_server.admin)
    page.goto(f"{live_server.url}/cases/{case.id}")
    page.get_by_role("link", name=case.debtor_name).first.click()
    screenshot(page, "debtor_with_personal_data_link")
    page.get_by_test_id("personal-data-link").click()
    page.wait_for_url("**/personal-data")
    expect(page.locator("main h1")).to_have_text("Données personnelles")
    expect(page.get_by_test_id("personal-data-counts")).to_contain_text("collection_case")
    # The case is open: erasure is refused before it is even asked, with the reason.
    expect(page.get_by_test_id("erasure-reasons")).to_contain_text(f"Dossiers encore ouverts : {case.reference}")
    expect(page.get_by_role("button", name="Effacer les données personnelles")).to_be_disabled()
    screenshot(page, "personal_data")

    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter les données personnelles").click()
    content = open(download.value.path(), "rb").read()  # noqa: SIM115
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert "README.txt" in names and "data/debtor.json" in names
        assert case.reference in archive.read("data/collection_case.json").decode()
