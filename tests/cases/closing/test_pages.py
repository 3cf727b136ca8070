"""Closing from the pages: a collector proposes with its evidence, a manager confirms from the list, then
reopens from the case; a client user can do none of it."""

from __future__ import annotations

import pytest

from agency.db import db
from cases.ledger import balance
from cases.models import CaseClosing
from tests import factories
from tests.cases.judicial.test_pages import signed_in
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def test_propose_confirm_and_reopen(app, db_session):
    case = factories.case(amounts=(42_000,))
    case.status = "active"
    collector, manager = factories.user("collector"), factories.user("manager")
    client_user = factories.user("client", client=case.client)
    db_session.commit()

    browser = signed_in(app, collector)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="close-case"' in page and "Débiteur introuvable" in page
    token = csrf_token(browser, f"/cases/{case.id}")
    browser.post(f"/cases/{case.id}/closing", data={"csrf_token": token, "reason": "unfindable", "evidence": ""})
    assert db.session.query(CaseClosing).count() == 0  # its evidence was missing: nothing recorded
    browser.post(f"/cases/{case.id}/closing", data={"csrf_token": token, "reason": "unfindable",
                                                    "evidence": "Courrier revenu NPAI, annuaire sans résultat"})
    closing = db.session.query(CaseClosing).one()
    assert closing.status == "proposed"

    browser = signed_in(app, manager)
    listing = browser.get("/closings").get_data(as_text=True)
    assert case.reference in listing and "Courrier revenu NPAI" in listing
    token = csrf_token(browser, "/closings")
    browser.post(f"/closings/{closing.id}/decide", data={"csrf_token": token, "decision": "confirm"})
    db.session.expire_all()
    assert db.session.get(CaseClosing, closing.id).status == "closed" and balance(case.id).outstanding == 0
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="closing-closed"' in page and "420,00" in page
    browser.post(f"/cases/{case.id}/reopen", data={"csrf_token": token, "reason": "Nouvelle adresse"})
    db.session.expire_all()
    assert balance(case.id).outstanding == 42_000

    client = signed_in(app, client_user)
    token = csrf_token(client, "/cases/")
    assert client.post(f"/cases/{case.id}/closing", data={"csrf_token": token, "reason": "unfindable",
                                                          "evidence": "x"}).status_code == 403
    assert client.get("/closings").status_code == 403
    assert 'data-testid="closing"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
