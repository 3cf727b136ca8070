"""The queue from the browser's side: "Next", the case panel, the managers' board, teams and moves."""

from __future__ import annotations

import re

import sqlalchemy as sa

from agency.db import utcnow
from agency.models import AuditEvent, Team
from cases.models import Case
from tests import factories
from tests.cases.queue.helpers import HOUR, callable_now, queued_case
from tests.conftest import csrf_token


def _post(client, url: str, data: dict | None = None, page: str = "/queue/"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})})


def _lease(client, case_id: int) -> dict:
    """Return the lease field of the Finish and Release forms, as the case page draws it."""
    match = re.search(r'name="lease" value="([0-9a-f]*)"', client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert match, "no lease on the case page"
    return {"lease": match.group(1)}


def _events(db_session, action: str) -> list[AuditEvent]:
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_collector_presses_next_works_the_case_and_finishes(client, db_session, login_as):
    collector = login_as("collector")
    team = factories.team(members=(collector,))
    case = queued_case(team=team, score=40, due=utcnow() - HOUR)
    callable_now(case)
    queued_case(collector=collector, due=utcnow() + 24 * HOUR)  # planned for tomorrow
    db_session.commit()

    page = client.get("/queue/").get_data(as_text=True)
    assert re.search(r'data-testid="pool-due">1<', page) and re.search(r'data-testid="mine-due">0<', page)
    assert case.reference in page[page.index('data-testid="upcoming"'):]

    response = _post(client, "/queue/next")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}?from=queue"
    screen = client.get(f"/cases/{case.id}").get_data(as_text=True)
    panel = screen[screen.index('data-testid="queue-panel"'):]
    assert 'data-testid="finish-next"' in panel and "data-lease-renew" in panel
    assert 'data-testid="score-parts"' in panel and 'id="queue-target"' not in panel  # why it is next; no reassigning
    assert case.reference in client.get("/queue/").get_data(as_text=True).split('data-testid="current"')[1]

    renewed = _post(client, f"/queue/cases/{case.id}/renew", page=f"/cases/{case.id}")
    assert renewed.status_code == 200 and renewed.json["held"] is True

    lease = _lease(client, case.id)
    finished = _post(client, f"/queue/cases/{case.id}/finish", lease, page=f"/cases/{case.id}")
    assert finished.status_code == 302 and finished.headers["Location"] == "/queue/"
    db_session.refresh(case)
    assert case.leased_by_id is None and case.next_action_at > utcnow()
    assert [e.subject_id for e in _events(db_session, "case.lease_finished")] == [case.id]
    gone = _post(client, f"/queue/cases/{case.id}/renew", page=f"/cases/{case.id}")
    assert gone.status_code == 409 and gone.json["held"] is False
    again = _post(client, f"/queue/cases/{case.id}/finish", lease, page=f"/cases/{case.id}")  # a second click
    assert again.headers["Location"] == f"/cases/{case.id}"
    assert "rien n&#39;a été modifié" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(_events(db_session, "case.lease_finished")) == 1


def test_finish_and_next_from_the_case_page(client, db_session, login_as):
    collector = login_as("collector")
    first = queued_case(collector=collector, score=20, due=utcnow() - HOUR)
    second = queued_case(collector=collector, score=10, due=utcnow() - HOUR)
    for case in (first, second):
        callable_now(case)
    db_session.commit()
    assert _post(client, "/queue/next").headers["Location"] == f"/cases/{first.id}?from=queue"
    assert _post(client, "/queue/next").headers["Location"] == f"/cases/{first.id}?from=queue"  # still in hand
    form = {**_lease(client, first.id), "then_next": "1"}
    response = _post(client, f"/queue/cases/{first.id}/finish", form, page=f"/cases/{first.id}")
    assert response.headers["Location"] == f"/cases/{second.id}?from=queue"
    db_session.refresh(first)
    assert first.leased_by_id is None and first.next_action_at > utcnow()


def test_next_with_nothing_callable_says_why(client, db_session, login_as):
    collector = login_as("collector")
    queued_case(collector=collector, phone=False, due=utcnow() - HOUR)
    db_session.commit()
    response = _post(client, "/queue/next")
    assert response.headers["Location"] == "/queue/"
    page = client.get("/queue/").get_data(as_text=True)
    assert "Aucune coordonnée (1)" in page
    factories.user("collector")  # a collector with an empty queue
    empty = client.get("/queue/").get_data(as_text=True)
    assert 'data-testid="no-team"' in empty


def test_releasing_gives_the_case_back(client, db_session, login_as):
    collector = login_as("collector")
    case = queued_case(collector=collector, due=utcnow() - HOUR)
    callable_now(case)
    db_session.commit()
    _post(client, "/queue/next")
    lease = _lease(client, case.id)
    response = _post(client, f"/queue/cases/{case.id}/release", lease, page=f"/cases/{case.id}")
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.leased_by_id is None and case.next_action_at < utcnow()
    refused = _post(client, f"/queue/cases/{case.id}/release", lease, page=f"/cases/{case.id}")
    assert refused.headers["Location"] == f"/cases/{case.id}"  # not theirs any more: said, nothing done


def test_manager_sees_the_score_explained_and_reassigns(client, db_session, login_as):
    manager = login_as("manager")
    collector = factories.user("collector", name="Camille Roux")
    team = factories.team("Particuliers", members=(collector,))
    case = queued_case(due=utcnow() - HOUR)
    db_session.commit()
    screen = client.get(f"/cases/{case.id}").get_data(as_text=True)
    parts = screen[screen.index('data-testid="score-parts"'):]
    assert "Encours" in parts or "Outstanding" in parts
    assert "Camille Roux" in parts and "Particuliers" in parts

    response = _post(client, f"/queue/cases/{case.id}/assign", {"target": f"user:{collector.id}"}, f"/cases/{case.id}")
    assert response.status_code == 302
    db_session.refresh(case)
    assert (case.assigned_collector_id, case.team_id) == (collector.id, team.id)
    _post(client, f"/queue/cases/{case.id}/assign", {"target": f"team:{team.id}"}, f"/cases/{case.id}")
    db_session.refresh(case)
    assert (case.assigned_collector_id, case.team_id) == (None, team.id)
    events = _events(db_session, "case.reassigned")
    assert len(events) == 2 and events[0].actor_id == manager.id


def test_an_action_on_a_held_case_renews_the_lease(client, db_session, login_as):
    manager = login_as("manager")
    case = queued_case(collector=manager, due=utcnow() - HOUR)
    callable_now(case)
    db_session.commit()
    _post(client, "/queue/next")
    db_session.refresh(case)
    first_expiry = case.lease_expires_at
    team = factories.team()
    db_session.commit()
    _post(client, f"/queue/cases/{case.id}/assign", {"target": f"team:{team.id}"}, f"/cases/{case.id}")
    db_session.refresh(case)
    assert case.leased_by_id == manager.id and case.lease_expires_at > first_expiry


def test_board_shows_queue_sizes_and_moves_cases_between_pools(client, db_session, login_as):
    manager = login_as("manager")
    camille = factories.user("collector", name="Camille Roux")
    north, south = factories.team("Nord", members=(camille,)), factories.team("Sud")
    creditor, other = factories.client(), factories.client()
    north_cases = [queued_case(team=north, client_row=creditor, due=utcnow() - HOUR) for _ in range(3)]
    kept = queued_case(team=north, client_row=other, due=utcnow() + HOUR)
    assigned = queued_case(team=north, collector=camille, client_row=creditor)
    queued_case(client_row=other)  # in no queue
    db_session.commit()

    board = client.get("/queue/board").get_data(as_text=True)
    pools = board[board.index('data-testid="pools"'):]
    assert re.search(r"Nord</td>.*?Camille Roux.*?>3<.*?>4<", pools, re.S)  # due now, planned
    assert re.search(r"Sud</td>.*?data-testid=\"unworked\"", pools, re.S)
    assert 'data-testid="nowhere"' in board
    assert re.search(r"Camille Roux.*?Nord.*?>1<", board[board.index('data-testid="collectors"'):], re.S)

    move = {"client_id": creditor.id, "from_pool": str(north.id), "to_team": south.id, "references": ""}
    response = _post(client, "/queue/move", move, "/queue/board")
    assert response.status_code == 302
    for case in (*north_cases, kept, assigned):
        db_session.refresh(case)
    assert {c.team_id for c in north_cases} == {south.id}
    assert kept.team_id == north.id and (assigned.team_id, assigned.assigned_collector_id) == (north.id, camille.id)
    moved = _events(db_session, "case.moved_to_pool")
    assert sorted(e.subject_id for e in moved) == sorted(c.id for c in north_cases)
    assert moved[0].actor_id == manager.id and moved[0].before["team_id"] == north.id

    by_reference = {"from_pool": "any", "to_team": north.id, "include_assigned": "y",
                    "references": f"{assigned.reference.lower()}, {north_cases[0].reference}"}  # fmt: skip
    _post(client, "/queue/move", by_reference, "/queue/board")
    db_session.refresh(assigned)
    db_session.refresh(north_cases[0])
    assert (assigned.team_id, assigned.assigned_collector_id) == (north.id, None)
    assert north_cases[0].team_id == north.id


def test_a_move_with_an_unknown_reference_moves_nothing(client, db_session, login_as):
    login_as("manager")
    north, south = factories.team("Nord"), factories.team("Sud")
    case = queued_case(team=north)
    db_session.commit()
    data = {"from_pool": "any", "to_team": south.id, "references": f"{case.reference} D99-999999"}
    response = _post(client, "/queue/move", data, "/queue/board")
    assert response.status_code == 400 and "D99-999999" in response.get_data(as_text=True)
    db_session.refresh(case)
    assert case.team_id == north.id
    nothing = _post(client, "/queue/move", {"from_pool": "any", "to_team": south.id}, "/queue/board")
    assert nothing.status_code == 400  # moving every case needs at least one criterion


def test_manager_creates_teams_and_puts_collectors_in_them(client, db_session, login_as):
    login_as("manager")
    camille = factories.user("collector", name="Camille Roux")
    db_session.commit()
    assert _post(client, "/queue/teams", {"name": "  Recouvrement   B2B "}, "/queue/board").status_code == 302
    team = db_session.scalar(sa.select(Team).where(Team.name == "Recouvrement B2B"))
    assert team is not None
    again = _post(client, "/queue/teams", {"name": "recouvrement b2b"}, "/queue/board")
    assert again.status_code == 400
    other = factories.team("Particuliers")
    db_session.commit()
    both = {"user_id": camille.id, "team_ids": [team.id, other.id]}
    assert _post(client, "/queue/teams/members", both, "/queue/board").status_code == 302
    db_session.refresh(camille)
    assert [t.name for t in camille.teams] == ["Particuliers", "Recouvrement B2B"]
    board = client.get("/queue/board").get_data(as_text=True)
    assert "Particuliers, Recouvrement B2B" in board  # her teams, on the button that changes them
    _post(client, "/queue/teams/members", {"user_id": camille.id}, "/queue/board")  # nothing ticked
    db_session.refresh(camille)
    assert camille.teams == []
    events = _events(db_session, "user.teams_changed")
    both_ids = ",".join(str(i) for i in sorted([team.id, other.id]))
    assert [(e.before, e.after) for e in events] == [
        ({"team_ids": ""}, {"team_ids": both_ids}),
        ({"team_ids": both_ids}, {"team_ids": ""}),
    ]
    unknown = _post(client, "/queue/teams/members", {"user_id": camille.id, "team_ids": [999_999]})
    assert unknown.status_code == 400
    assert _events(db_session, "team.created")[0].after == {"name": "Recouvrement B2B"}


def test_roles_and_tenants(client, db_session, login_as):
    creditor = factories.client()
    case = queued_case(client_row=creditor)
    other = queued_case()
    db_session.commit()
    login_as("collector")
    assert client.get("/queue/board").status_code == 403
    assert _post(client, "/queue/move", {"from_pool": "any", "to_team": 1}).status_code == 403
    assert _post(client, f"/queue/cases/{case.id}/assign", {"target": "team:1"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/queue/")})
    login_as("client", client_row=creditor)
    assert client.get("/queue/").status_code == 403
    screen = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="queue-panel"' not in screen
    assert client.get(f"/cases/{other.id}").status_code == 404
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/queue/cases/{case.id}/renew", data={"csrf_token": token}).status_code == 403
    assert db_session.scalar(sa.select(Case.leased_by_id).where(Case.id == case.id)) is None
