"""Fixtures of the messaging tests: a case with a mobile and an e-mail address, contact hours, fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cases.models import Letter
from debtors.models import ContactProfile
from tests import factories
from tests.agency.test_mail import smtp_server  # noqa: F401 (a fixture: the local SMTP server)
from tests.agency.test_sms import fake_twilio  # noqa: F401 (a fixture: the local fake Twilio)

MOBILE = "+33612345678"
ADDRESS = "jeanne.martin@example.com"


@pytest.fixture
def agency(db_session):
    return factories.agency_profile(name="Cabinet Recouvra", address_line1="3 quai Saint-Antoine", postcode="69002",
                                    city="Lyon", phone="+33478000001", email="contact@recouvra.example.fr")


@pytest.fixture
def case(db_session, agency):
    """A consumer case of 1 234,56 € for Mme Jeanne Martin, with a mobile and an e-mail address."""
    debtor = factories.debtor(title="Mme", first_name="Jeanne", last_name="Martin")
    factories.contact(debtor, "phone", MOBILE, label="mobile", is_primary=True)
    factories.contact(debtor, "email", ADDRESS)
    creditor = factories.client(name="Boulangerie Dupain SAS")
    row = factories.case(creditor, debtor, amounts=(100_000, 23_456))
    db_session.flush()
    return row


def set_hours(db_session, windows: dict, *, holidays: bool = False) -> None:
    """Set the FR contact profile's windows (rolled back with the test)."""
    profile = db_session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    profile.windows = windows
    profile.no_contact_on_holidays = holidays
    db_session.flush()


@pytest.fixture
def open_hours(db_session):
    """Contact allowed at any hour of any day, so that tests do not depend on when they run."""
    set_hours(db_session, {str(d): [["00:00", "24:00"]] for d in range(1, 8)})


@pytest.fixture
def closed_hours(db_session):
    """Contact only on the weekday after tomorrow, 10:00-11:00: refused now, allowed at a known time."""
    later = datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=2)
    set_hours(db_session, {str(later.isoweekday()): [["10:00", "11:00"]]})
    return datetime.combine(later.date(), time(10), ZoneInfo("Europe/Paris")).astimezone(UTC)


@pytest.fixture
def public_url(app):
    app.config["PUBLIC_URL"] = "https://recouvrement.example.fr"
    yield app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = ""


def first_notice(db_session, case, reference: str = "LR-2026-000042", issued_on: date = date(2026, 3, 2)) -> Letter:
    """An issued first notice of the case, as the letters store it."""
    letter = Letter(case_id=case.id, client_id=case.client_id, kind="first_notice", status="issued",
                    reference=reference, issued_on=issued_on, sha256="0" * 64, file_path="x.pdf")
    db_session.add(letter)
    db_session.flush()
    return letter
