"""The judicial route from the user's side: the case panel, the proposal, both approvals (the client in its
portal), a step with its deadline, a cost; roles and tenancy checked on every route."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.models import CaseStatus, Proceeding
from tests import factories
from tests.cases.judicial.helpers import ready_case
from tests.conftest import IsolatedClient, csrf_token, login


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)


def signed_in(app, user):
    """A browser of its own for `user` (each person in the path uses theirs)."""
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    assert login(browser, user.email).status_code == 302
    return browser


def proceeding_of(case) -> Proceeding:
    db.session.expire_all()
    return db.session.scalar(sa.select(Proceeding).where(Proceeding.case_id == case.id))


def test_the_whole_approval_path_through_the_pages(app, db_session):
    case = ready_case(kind="b2b", debtor_kind="company", amounts=(900_000,))
    collector, manager = factories.user("collector"), factories.user("manager")
    client_user = factories.user("client", client=case.client)
    db_session.commit()

    client = signed_in(app, collector)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="judicial-suggestion"' in page and "Injonction de payer — tribunal de commerce" in page
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/judicial/propose", data={"csrf_token": token, "route": "order_commercial"})
    assert response.status_code == 302
    proceeding = proceeding_of(case)
    assert proceeding.stage == "proposed"
    # A collector may not approve.
    assert client.post(f"/judicial/{proceeding.id}/approve", data={"csrf_token": token,
                                                                   "route": "order_commercial"}).status_code == 403

    client = signed_in(app, manager)
    token = csrf_token(client, f"/cases/{case.id}")
    client.post(f"/judicial/{proceeding.id}/approve", data={"csrf_token": token, "route": "order_commercial",
                                                            "court": "Tribunal de commerce de Lyon"})
    assert proceeding_of(case).stage == "awaiting_client"

    client = signed_in(app, client_user)
    portal = client.get("/judicial/decisions").get_data(as_text=True)
    assert proceeding.reference in portal and "Tribunal de commerce de Lyon" in portal
    token = csrf_token(client, "/judicial/decisions")
    client.post(f"/judicial/{proceeding.id}/decide", data={"csrf_token": token, "decision": "approve"})
    proceeding = proceeding_of(case)
    assert proceeding.stage == "preparing" and proceeding.case.status == CaseStatus.ESCALATED
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="judicial-stage"' in case_page and "Dossier en préparation" in case_page


def test_a_step_and_its_deadline_then_a_cost_off_the_balance(client, db_session, time_machine):
    from cases.judicial.proceedings import approve_by_manager, decide_by_client, propose

    case = ready_case(kind="b2b", debtor_kind="company", amounts=(900_000,))
    manager = factories.user("manager")
    proceeding = propose(case, actor=None)
    approve_by_manager(proceeding, actor=manager)
    decide_by_client(proceeding, actor=factories.user("client", client=case.client), approve=True)
    collector = factories.user("collector")
    db_session.commit()
    time_machine.move_to("2027-01-08 09:00:00+01:00", tick=False)
    login(client, collector.email)
    token = csrf_token(client, f"/cases/{case.id}")
    client.post(f"/judicial/{proceeding.id}/steps", data={"csrf_token": token, "kind": "filed",
                                                          "occurred_on": "2026-12-21", "note": "Dépôt au greffe"})
    client.post(f"/judicial/{proceeding.id}/costs", data={"csrf_token": token, "kind": "commercial_court_fee",
                                                          "amount": "33,47", "incurred_on": "2026-12-21",
                                                          "advanced_by": "client"})
    response = client.post(f"/judicial/{proceeding.id}/steps", data={
        "csrf_token": token, "kind": "order_issued", "occurred_on": "2027-01-05", "number": "2026/1234",
        "principal": "9 000,00", "interest": "120,00", "costs": "33,47"})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Signifier l" in page and "5 avril 2027" in page  # 3 months for an order issued from 1 Sept 2026
    assert "Droit de greffe (tribunal de commerce)" in page
    assert "pas à la charge du débiteur avant un titre" in page
    from cases.ledger import balance
    assert balance(case.id).costs == 0  # the greffe fee is the client's until the title is enforceable
    # A date before the previous step's is refused, and nothing changes.
    client.post(f"/judicial/{proceeding.id}/steps", data={"csrf_token": token, "kind": "served",
                                                          "occurred_on": "2026-12-30"})
    assert proceeding_of(case).stage == "order_issued"


def test_another_clients_user_and_a_client_reading_internal_notes(app, db_session):
    from cases.judicial.proceedings import add_step, approve_by_manager, propose
    from cases.models import StepKind

    case = ready_case()
    proceeding = propose(case, actor=None)
    manager = factories.user("manager")
    approve_by_manager(proceeding, actor=manager, reason="")
    add_step(proceeding, StepKind.MANAGER_APPROVED, proceeding.steps[-1].occurred_on, actor=manager,
             note="Débiteur connu pour ses impayés", internal=True)
    stranger = factories.user("client")
    owner = factories.user("client", client=case.client)
    db_session.commit()
    client = signed_in(app, stranger)
    assert client.get(f"/cases/{case.id}").status_code == 404
    token = csrf_token(client, "/judicial/decisions")
    assert client.post(f"/judicial/{proceeding.id}/decide",
                       data={"csrf_token": token, "decision": "approve"}).status_code == 404
    client = signed_in(app, owner)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert proceeding.reference in page and "Débiteur connu" not in page


def test_each_step_is_a_line_of_the_cases_history_for_staff(app, db_session):
    from cases.judicial.proceedings import propose

    case = ready_case()
    proceeding = propose(case, actor=None, reason="")
    manager = factories.user("manager")
    db_session.commit()
    page = signed_in(app, manager).get(f"/cases/{case.id}").get_data(as_text=True)
    history = page.split('data-testid="history"', 1)[1]
    assert proceeding.reference in history and "Voie proposée" in history
