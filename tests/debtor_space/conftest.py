"""Fixtures of the debtor's space: cases with what the door asks, links, visitors from their own address."""

from __future__ import annotations

import itertools
import random
import re

import pytest
import sqlalchemy as sa

from cases.messaging.space_links import issue_link, new_token
from cases.models import Case
from tests import factories
from tests.conftest import CSRF_RE, IsolatedClient

POSTCODE = "69003"  # factories.postal_address
SIREN = "732829320"  # factories.debtor("company")
_addresses = itertools.count(1)


@pytest.fixture
def agency(db_session):
    return factories.agency_profile(phone="+33478000001")


@pytest.fixture
def person_case(db_session, agency) -> Case:
    """A consumer's case of 1 234,56 € (two invoices), the debtor's address in Lyon 3e."""
    debtor = factories.debtor(title="Mme", first_name="Jeanne", last_name="Martin")
    factories.postal_address(debtor)
    factories.contact(debtor, "phone", "+33612345678", is_primary=True)
    return factories.case(factories.client(name="Boulangerie Dupain SAS"), debtor, amounts=(100_000, 23_456))


@pytest.fixture
def company_case(db_session, agency) -> Case:
    """A case between businesses: the debtor company has a SIREN (and an address, which the door does not ask)."""
    debtor = factories.debtor("company")
    factories.postal_address(debtor, postcode="75011", city="Paris")
    return factories.case(factories.client(), debtor, amounts=(50_000,), kind="b2b")


def link_for(case: Case, channel: str = "sms") -> str:
    """Issue a link to the case's space as a message would; return its token."""
    token, _url = new_token()
    issue_link(case, channel, token, actor=None)
    return token


@pytest.fixture
def visitor(app):
    """A browser of its own, from an address of its own: the limit per address counts no other test's answers."""
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = f"10.{random.randrange(256)}.{random.randrange(256)}.{next(_addresses) % 250 + 1}"
    return browser


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def answer(browser, text: str):
    """Give `text` at the door of the visit open in `browser`."""
    page = browser.get("/espace/")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return browser.post("/espace/", data={"answer": text, "csrf_token": csrf_of(page.get_data(as_text=True))})


def enter(browser, token: str, text: str = POSTCODE):
    """Open a link and answer the door; return the answer's response."""
    opened = browser.get(f"/espace/{token}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/espace/", opened.status_code
    return answer(browser, text)


def audit_actions(db_session, action_prefix: str = "space") -> list[str]:
    from agency.models import AuditEvent

    return list(db_session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like(f"{action_prefix}%")).order_by(AuditEvent.id)
    ))


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))
