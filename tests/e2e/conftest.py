"""End-to-end harness: a live server on its own SQLite file, seeded once, and the system Chromium.

The live server has its own app and database (committed rows, served from another thread), so these
tests take no part in the per-test rolled-back transaction of tests/conftest.py: every e2e module
sets `pytestmark = [pytest.mark.e2e, pytest.mark.no_db]`. Tests that change data (the admin creating
a user) must use names no other test relies on. Pages are checked in French, so the catalog must be
compiled first (`make translations`, which `make test` runs).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tests.e2e.helpers import FRENCH_MO, FRENCH_PO

CHROMIUM = os.environ.get("AMIABLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives the real headless Chromium against a live server")
    config.addinivalue_line(
        "markers", "no_db: the test manages its own database, without the per-test rolled-back transaction"
    )


@dataclass(frozen=True)
class SeededCase:
    id: int
    reference: str
    debtor_name: str
    client_name: str


@dataclass(frozen=True)
class World:
    """What the seed put in the live server's database, for the tests to look for."""

    url: str
    admin: str
    manager: str
    collector: str
    client_a_user: str
    client_b_user: str
    client_a: str
    client_b: str
    cases_a: tuple[SeededCase, ...]
    cases_b: tuple[SeededCase, ...]
    note: str
    phone: str
    email: str

    @property
    def cases(self) -> tuple[SeededCase, ...]:
        return self.cases_a + self.cases_b


NOTE = "Note interne confidentielle"
PHONE = "+33612345678"
DEBTOR_EMAIL = "jeanne.lefevre@example.com"


def _seed() -> dict:
    """Write the e2e dataset through the factories and commit it; return what the tests look for."""
    from agency.db import db
    from cases.models import Action

    boulangerie = factories.client(code="BOUL", name="Boulangerie Dupain SAS")
    horizon = factories.client(code="HORZ", name="Télécom Horizon SA")
    users = {
        "admin": factories.user("admin", email="admin@example.com", name="Alice Admin"),
        "manager": factories.user("manager", email="manager@example.com", name="Marc Manager"),
        "collector": factories.user("collector", email="collector@example.com", name="Camille Recouvreur"),
        "client_a_user": factories.user(
            "client", client=boulangerie, email="compta@boulangerie-dupain.example.com", name="Bernard Dupain"
        ),
        "client_b_user": factories.user(
            "client", client=horizon, email="compta@telecom-horizon.example.com", name="Hélène Horizon"
        ),
    }
    lefevre = factories.debtor(first_name="Jeanne", last_name="Lefèvre", title="Mme")
    factories.contact(
        lefevre, "phone", PHONE, label="mobile", status="valid", sms_consent=True, is_primary=True
    )
    factories.contact(lefevre, "email", DEBTOR_EMAIL)
    factories.contact(lefevre, "address", "", address_line1="12 rue des Lilas", postcode="69003", city="Lyon")
    garage = factories.debtor("company", company_name="Garage Martin SARL", siren="732829320")
    factories.contact(garage, "phone", "+33478000000", label="standard")
    girard = factories.debtor(first_name="Paul", last_name="Girard")
    factories.contact(girard, "email", "paul.girard@example.com")
    roux = factories.debtor(first_name="Sophie", last_name="Roux")

    collector = users["collector"]
    a1 = factories.case(
        boulangerie, lefevre, amounts=(123_456, 50_000), opened_on=date(2026, 3, 2), client_reference="C-1001"
    )
    a2 = factories.case(boulangerie, garage, amounts=(980_000,), opened_on=date(2026, 3, 5), kind="b2b")
    a3 = factories.case(boulangerie, girard, amounts=(7_500,), opened_on=date(2026, 3, 9))
    b1 = factories.case(horizon, roux, amounts=(4_999,), opened_on=date(2026, 3, 3))
    b2 = factories.case(horizon, girard, amounts=(15_000,), opened_on=date(2026, 3, 7))
    a1.assigned_collector = collector
    a1.status = "active"
    a2.status = "dispute"
    done_at = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    db.session.add_all(
        [
            Action(
                case=a1,
                kind="call",
                channel="phone",
                status="done",
                outcome="right_party",
                done_at=datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
                user=collector,
            ),
            Action(
                case=a1,
                kind="note",
                channel="internal",
                status="done",
                done_at=done_at,
                user=collector,
                note=NOTE,
            ),
        ]
    )
    db.session.commit()

    def seeded(case) -> SeededCase:
        return SeededCase(case.id, case.reference, case.debtor.display_name, case.client.name)

    return {
        **{role: user.email for role, user in users.items()},
        "client_a": boulangerie.name,
        "client_b": horizon.name,
        "cases_a": tuple(seeded(c) for c in (a1, a2, a3)),
        "cases_b": tuple(seeded(c) for c in (b1, b2)),
        "note": NOTE,
        "phone": PHONE,
        "email": DEBTOR_EMAIL,
    }


@contextmanager
def serve(tmp_dir: Path, seed: Callable[[], dict]) -> Iterator[tuple[str, dict]]:
    """Serve a freshly migrated app on 127.0.0.1 from a daemon thread, its SQLite file in `tmp_dir`.

    `seed` runs once in an app context before the server starts; yield the server's URL and what
    `seed` returned. Modules whose tests write a lot (placements) get a server of their own this way.
    """
    # The tests read the French UI: without a compiled, current catalog every page is in English.
    if (
        not (FRENCH_PO.exists() and FRENCH_MO.exists())
        or FRENCH_MO.stat().st_mtime < FRENCH_PO.stat().st_mtime
    ):
        pytest.fail(f"{FRENCH_MO} is missing or older than its .po: run `make translations` first")
    saved_instance = os.environ.get("AMIABLE_INSTANCE")
    os.environ["AMIABLE_INSTANCE"] = str(tmp_dir)
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_dir / 'e2e.db'}",
            "REDIS_URL": "",
            # As in tests/conftest.py: the browser test of the enrolment turns the rule back on.
            "SECOND_FACTOR_ENFORCED": False,
            "SESSION_EXPIRY_ENFORCED": False,
        }
    )
    with app.app_context():
        upgrade()
        seeded = seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seeded
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            from agency.db import db

            db.engine.dispose()
        if saved_instance is None:
            os.environ.pop("AMIABLE_INSTANCE", None)
        else:
            os.environ["AMIABLE_INSTANCE"] = saved_instance


@contextmanager
def open_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh browser context (no cookies), French locale, relative URLs on `base_url`."""
    context = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        base_url=base_url,
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[World]:
    """Serve a freshly migrated and seeded app on 127.0.0.1 from a daemon thread."""
    with serve(tmp_path_factory.mktemp("e2e-instance"), _seed) as (url, seed):
        yield World(url=url, **seed)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless system Chromium for the whole session (never a Playwright-downloaded one)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, live_server: World) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, French locale, relative URLs on the live server."""
    with open_page(browser, live_server.url) as tab:
        yield tab
