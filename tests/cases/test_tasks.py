"""Tasks: set on a case for a person or a team, "My tasks" by due date with the overdue ones marked, done in one
click; managers see every task by assignee; rules raise one open task per case; client users reach none of it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.closing.limitation import refresh_limitations
from cases.closing.limitation_jobs import refresh_limitations_job
from cases.models.notes import Note, Task
from cases.notes.notes import add_case_note
from cases.notes.rules import _raise, raise_limitation_tasks
from cases.notes.tasks import RULES, create_rule_task, create_task
from tests import factories
from tests.cases.closing.limitation_helpers import case_due
from tests.conftest import csrf_token, login

MONDAY = "2026-11-16 10:00:00+01:00"
DAY = date(2026, 11, 16)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(MONDAY, tick=False)


def tasks(db_session, **where) -> list[Task]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Task).filter_by(**where).order_by(Task.id)))


def post_task(web, case, **fields):
    data = {"csrf_token": csrf_token(web, f"/cases/{case.id}"), "title": "Rappeler le comptable",
            "detail": "", "due_on": "2026-11-20", **fields}
    return web.post(f"/cases/{case.id}/tasks", data=data)


def test_a_collector_sets_a_task_for_a_team_and_marks_it_done_in_one_click(client, db_session, login_as):
    case = factories.case()
    collector = login_as("collector")
    team = factories.team("Recouvrement B2C", members=(collector,))
    db_session.commit()
    response = post_task(client, case, assignee=f"team:{team.id}", detail="Demander le relevé de paiement.",
                         about_debtor="y")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#tasks")
    [task] = tasks(db_session, case_id=case.id)
    assert (task.title, task.due_on, task.team_id, task.assignee_id, task.status) == (
        "Rappeler le comptable", date(2026, 11, 20), team.id, None, "open")
    assert (task.client_id, task.debtor_id, task.created_by_id, task.rule) == (
        case.client_id, case.debtor_id, collector.id, None)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Rappeler le comptable" in page and "équipe Recouvrement B2C" in page
    assert "Demander le relevé de paiement." in client.get(f"/debtors/{case.debtor_id}").get_data(as_text=True)

    token = csrf_token(client, f"/cases/{case.id}")
    done = client.post(f"/tasks/{task.id}/done", data={"csrf_token": token}, follow_redirects=True)
    assert "« Rappeler le comptable » est faite." in done.get_data(as_text=True)
    [task] = tasks(db_session, id=task.id)
    assert (task.status, task.closed_by_id) == ("done", collector.id) and task.closed_at is not None
    again = client.post(f"/tasks/{task.id}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "Cette tâche est déjà close." in again.get_data(as_text=True)
    assert tasks(db_session, id=task.id)[0].status == "done"
    actions = db_session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("task.%"))).all()
    assert actions == ["task.created", "task.done"]
    history = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-event="task_done"' in history and 'data-event="task"' in history


@pytest.mark.parametrize("fields, field_message", [
    ({"due_on": "2026-11-15"}, "La date d’échéance ne peut pas être passée."),
    ({"title": "  "}, "Donnez un titre à la tâche."),
    ({"due_on": ""}, "Indiquez la date d’échéance de la tâche."),
    ({"assignee": "user:999999"}, "Choisissez qui fait la tâche : une personne ou une équipe."),
])
def test_a_bad_task_is_refused_at_its_field_and_nothing_is_written(client, db_session, login_as, fields,
                                                                    field_message):
    case = factories.case()
    collector = login_as("collector")
    response = post_task(client, case, **{"assignee": f"user:{collector.id}", **fields})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_message in page and "invalid-feedback" in page
    assert tasks(db_session, case_id=case.id) == []


def test_a_client_user_is_not_given_a_task(client, db_session, login_as):
    case = factories.case()
    login_as("collector")
    outsider = factories.user("client", client=case.client)
    db_session.commit()
    response = post_task(client, case, assignee=f"user:{outsider.id}")
    assert response.status_code == 400 and "Choisissez un membre actif du personnel" in response.get_data(as_text=True)


def test_my_tasks_lists_mine_and_my_teams_by_due_date_with_the_overdue_marked(client, db_session, login_as,
                                                                              time_machine):
    me, colleague = factories.user("collector", name="Inès Moreau"), factories.user("collector", name="Paul Roy")
    team = factories.team("Pool Lyon", members=(me, colleague))
    other_team = factories.team("Pool Lille", members=(colleague,))
    cases = [factories.case() for _ in range(5)]
    create_task(cases[0], title="Dans dix jours", detail="", due_on=DAY + timedelta(days=10), assignee=me, actor=me)
    create_task(cases[1], title="Échue depuis trois jours", detail="", due_on=DAY + timedelta(days=1), team=team,
                actor=colleague)
    create_task(cases[2], title="Pour aujourd'hui", detail="", due_on=DAY + timedelta(days=4), assignee=me, actor=me)
    create_task(cases[3], title="Tâche de Paul", detail="", due_on=DAY, assignee=colleague, actor=colleague)
    create_task(cases[4], title="Pool de Lille", detail="", due_on=DAY, team=other_team, actor=colleague)
    db_session.commit()
    time_machine.move_to("2026-11-20 09:00:00+01:00", tick=False)  # four days later
    login(client, me.email)
    page = client.get("/tasks").get_data(as_text=True)
    rows = re.findall(r'<tr class="([^"]*)" data-task="(\d+)"( data-overdue="1")?', page)
    titles = {t.id: t.title for t in tasks(db_session)}
    listed = [titles[int(task_id)] for _cls, task_id, _o in rows]
    assert listed == ["Échue depuis trois jours", "Pour aujourd'hui", "Dans dix jours"]
    assert [bool(overdue) for _cls, _id, overdue in rows] == [True, False, False]
    assert [cls for cls, _id, _o in rows] == ["table-danger", "table-warning", ""]
    assert "3 jours de retard" in page and "Tâche de Paul" not in page and "Pool de Lille" not in page
    nav = re.search(r'data-testid="nav-tasks">Mes tâches <span[^>]*>(\d+)</span>', page)
    assert nav and nav.group(1) == "2"  # due today or overdue


def test_managers_see_every_task_and_filter_by_assignee(app, client, db_session, login_as):
    collector = factories.user("collector", name="Inès Moreau")
    team = factories.team("Pool Lyon")
    first, second, third = factories.case(), factories.case(), factories.case()
    create_task(first, title="Pour Inès", detail="", due_on=DAY, assignee=collector, actor=collector)
    create_task(second, title="Pour le pool", detail="", due_on=DAY, team=team, actor=collector)
    create_rule_task(third, "returned_letter")  # the case has no collector and no team: nobody yet
    login_as("manager")
    mine = client.get("/tasks").get_data(as_text=True)
    assert "Pour Inès" not in mine and "Aucune tâche ouverte" in mine
    everything = client.get("/tasks?view=all").get_data(as_text=True)
    assert all(title in everything for title in ("Pour Inès", "Pour le pool", "Courrier retourné"))
    only = client.get(f"/tasks?view=all&assignee=user:{collector.id}").get_data(as_text=True)
    assert "Pour Inès" in only and "Pour le pool" not in only
    pool = client.get(f"/tasks?view=all&assignee=team:{team.id}").get_data(as_text=True)
    assert "Pour le pool" in pool and "Pour Inès" not in pool
    nobody = client.get("/tasks?view=all&assignee=none").get_data(as_text=True)
    assert "Courrier retourné" in nobody and "Pour Inès" not in nobody

    other = app.test_client()
    login(other, collector.email)  # a collector asking for every task gets their own list
    page = other.get("/tasks?view=all").get_data(as_text=True)
    assert "Pour Inès" in page and "Pour le pool" not in page and 'data-testid="all-tasks"' not in page


def test_a_rule_task_goes_to_the_collector_else_the_team_and_is_raised_once_while_open(db_session):
    collector = factories.user("collector")
    team = factories.team()
    worked, pooled = factories.case(), factories.case()
    worked.assigned_collector_id, pooled.team_id = collector.id, team.id
    db_session.flush()
    first = create_rule_task(worked, "hardship", detail="Perte d’emploi.")
    assert create_rule_task(worked, "hardship", detail="Encore.") is first
    assert (first.assignee_id, first.team_id, first.due_on, first.created_by_id) == (collector.id, None,
                                                                                     DAY + timedelta(days=2), None)
    assert first.title == str(RULES["hardship"].title) and first.detail == "Perte d’emploi."
    pool_task = create_rule_task(pooled, "hardship")
    assert (pool_task.assignee_id, pool_task.team_id) == (None, team.id)
    first.status, first.closed_at, first.closed_by_id = "done", first.created_at, collector.id
    db_session.flush()
    assert create_rule_task(worked, "hardship").id != first.id  # a new statement once the first is done
    assert len(tasks(db_session, case_id=worked.id, rule="hardship")) == 2
    assert "returned_letter" in RULES
    with pytest.raises(KeyError):
        create_rule_task(worked, "no_such_rule")


def test_claims_near_their_limitation_date_raise_one_task_per_case(db_session, time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    collector = factories.user("collector")
    near = case_due(date(2025, 3, 6))  # consumer claims: limitation on 6 March 2027, 89 days ahead
    near.assigned_collector_id = collector.id
    far = case_due(date(2025, 3, 8))  # 91 days ahead: not yet
    paid = case_due(date(2025, 3, 6), amounts=(10_000,))
    factories.payment(paid, 10_000, received_on=date(2026, 12, 7), receipt=False)
    refresh_limitations(date(2026, 12, 7))
    assert raise_limitation_tasks(date(2026, 12, 7)) == 1
    assert raise_limitation_tasks(date(2026, 12, 7)) == 0  # idempotent while it is open
    [task] = tasks(db_session, rule="limitation")
    assert (task.case_id, task.assignee_id, task.due_on) == (near.id, collector.id, date(2026, 12, 14))
    assert near.claims[0].invoice_number in task.detail and "06/03/2027" in task.detail
    assert tasks(db_session, case_id=far.id) == [] and tasks(db_session, case_id=paid.id) == []
    # The daily limitation run raises them: the far case comes within 90 days two days later.
    time_machine.move_to("2026-12-09 10:00:00+01:00", tick=False)
    refresh_limitations_job()
    assert [t.case_id for t in tasks(db_session, rule="limitation")] == [near.id, far.id]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "task.created")) == 2


def test_limitation_tasks_go_to_the_pool_of_an_inactive_collector_and_a_race_keeps_the_open_one(db_session,
                                                                                                 time_machine):
    time_machine.move_to("2026-12-07 10:00:00+01:00", tick=False)
    gone = factories.user("collector", active=False)
    pool = factories.team("Recouvrement Sud")
    orphan = case_due(date(2025, 3, 6))
    orphan.assigned_collector_id, orphan.team_id = gone.id, pool.id
    raced = case_due(date(2025, 3, 1))
    refresh_limitations(date(2026, 12, 7))
    # Another request raised the second case's task between the job's reading and its writing: the chunk's
    # INSERT meets the unique open rule task, and the chunk is done case by case, the open task kept.
    earlier = create_rule_task(raced, "limitation", due_on=date(2026, 12, 20), detail="Déjà signalé")
    _raise(date(2026, 12, 7), [(orphan.id, orphan.client_id, date(2027, 3, 6), None, pool.id),
                               (raced.id, raced.client_id, date(2027, 3, 1), None, None)])
    by_case = {t.case_id: t for t in tasks(db_session, rule="limitation")}
    assert (by_case[orphan.id].assignee_id, by_case[orphan.id].team_id) == (None, pool.id)
    assert by_case[raced.id].id == earlier.id and by_case[raced.id].detail == "Déjà signalé"
    # Through the whole run, the inactive collector's case goes to the pool too.
    fresh = case_due(date(2025, 3, 5))
    fresh.assigned_collector_id, fresh.team_id = gone.id, pool.id
    refresh_limitations(date(2026, 12, 7))
    assert raise_limitation_tasks(date(2026, 12, 7)) == 1
    [task] = tasks(db_session, case_id=fresh.id)
    assert (task.assignee_id, task.team_id, task.due_on) == (None, pool.id, date(2026, 12, 14))


def test_client_users_reach_no_task_or_note_route_and_nothing_is_written(app, client, db_session, login_as):
    case = factories.case()
    staff = factories.user("manager")
    task = create_task(case, title="Appeler", detail="", due_on=DAY, assignee=staff, actor=staff)
    note = add_case_note(case, "Visible.", visible_to_client=True, actor=staff)
    login_as("client", case.client)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.get("/tasks").status_code == 403
    for url, data in ((f"/cases/{case.id}/notes", {"body": "Du client"}),
                      (f"/debtors/{case.debtor_id}/notes", {"body": "Du client"}),
                      (f"/notes/{note.id}/hide", {"reason": "Non"}),
                      (f"/cases/{case.id}/tasks", {"title": "X", "due_on": "2026-11-20", "assignee": f"user:{staff.id}"}),
                      (f"/tasks/{task.id}/done", {}), (f"/tasks/{task.id}/cancel", {})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert [t.status for t in tasks(db_session)] == ["open"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Note)) == 1
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="tasks"' not in page and 'data-testid="note-form"' not in page and "Visible." in page
