"""Fixtures of the collector-action tests: contact hours that are always open, times inside and outside them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from agency.db import db
from agency.models import AgencyProfile
from debtors.models import ContactProfile

# A Tuesday 11:00 in Paris (in the FR windows) and the Sunday before (outside them).
TUESDAY_11 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SUNDAY_11 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TUESDAY_3AM = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def open_hours(db_session):
    """Let the FR rules allow calls and SMS at any hour, any day, without a cap (for tests run at real time)."""
    profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
    profile.windows = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
    profile.no_contact_on_holidays = False
    profile.call_cap = None
    db.session.flush()
    return profile


@pytest.fixture
def agency_ready(db_session):
    """The agency profile every letter prints."""
    profile = db.session.get(AgencyProfile, 1) or AgencyProfile(id=1)
    profile.name = "Recouvrement Amiable SAS"
    profile.address_line1 = "10 place Bellecour"
    profile.postcode = "69002"
    profile.city = "Lyon"
    profile.trust_iban = "FR7630006000011234567890189"
    db.session.add(profile)
    db.session.flush()
    return profile
