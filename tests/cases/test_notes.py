"""Notes on a case or a debtor: the client reads only those shown to it on its own cases; a note is never edited,
and a manager's hiding keeps the row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.models import AuditEvent
from cases.models.notes import Note
from cases.notes.notes import add_case_note, add_debtor_note, hide_note
from tests import factories
from tests.conftest import csrf_token, login

NOW = "2026-11-16 10:00:00+01:00"  # a Monday morning in Paris


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def post_note(web, case, body: str, visible: bool = False):
    data = {"csrf_token": csrf_token(web, f"/cases/{case.id}"), "body": body}
    if visible:
        data["visible_to_client"] = "y"
    return web.post(f"/cases/{case.id}/notes", data=data)


def notes(db_session, **where) -> list[Note]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Note).filter_by(**where).order_by(Note.id)))


def test_a_note_shown_to_the_client_is_in_its_portal_an_internal_one_never(app, client, db_session, login_as):
    case = factories.case()
    other_case = factories.case()  # another client's
    collector = login_as("collector")
    assert post_note(client, case, "Le débiteur attend son salaire du 5.", visible=True).status_code == 302
    response = post_note(client, case, "Ton agressif au téléphone, rappeler plus tard.")
    assert response.headers["Location"].endswith(f"/cases/{case.id}#notes")
    assert post_note(client, other_case, "Note sur le dossier d’un autre client.", visible=True).status_code == 302
    visible, internal = notes(db_session, case_id=case.id)
    assert (visible.visible_to_client, internal.visible_to_client) == (True, False)
    assert (visible.client_id, visible.debtor_id, visible.created_by_id) == (case.client_id, case.debtor_id,
                                                                             collector.id)
    added = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "note.added")).all()
    assert len(added) == 3 and added[0].after["visible_to_client"] is True

    staff_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ton agressif" in staff_page and "visible par le client" in staff_page

    portal = app.test_client()
    user = factories.user("client", client=case.client)
    db_session.commit()
    login(portal, user.email)
    page = portal.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Le débiteur attend son salaire du 5." in page and "Notes de l’agence" in page
    assert page.count("Le débiteur attend son salaire du 5.") == 2  # the notes panel and the case's history
    assert "Ton agressif" not in page and collector.name not in page
    assert portal.get(f"/cases/{other_case.id}").status_code == 404


def test_a_debtor_note_is_read_on_each_of_their_cases_by_staff_never_by_a_client(app, client, db_session,
                                                                                   login_as):
    debtor = factories.debtor()
    first, second = factories.case(debtor_row=debtor), factories.case(debtor_row=debtor)
    login_as("collector")
    token = csrf_token(client, f"/debtors/{debtor.id}")
    response = client.post(f"/debtors/{debtor.id}/notes", data={"csrf_token": token,
                                                                 "body": "Travaille de nuit : appeler après 14 h."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/debtors/{debtor.id}#notes")
    [note] = notes(db_session, debtor_id=debtor.id)
    assert (note.case_id, note.client_id, note.visible_to_client) == (None, None, False)
    add_case_note(first, "Promesse orale pour fin de mois.", visible_to_client=False, actor=factories.user())
    db_session.commit()
    for case in (first, second):
        assert "Travaille de nuit" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    debtor_page = client.get(f"/debtors/{debtor.id}").get_data(as_text=True)
    assert "Travaille de nuit" in debtor_page and "Promesse orale" in debtor_page and first.reference in debtor_page

    portal = app.test_client()
    user = factories.user("client", client=first.client)
    db_session.commit()
    login(portal, user.email)
    assert "Travaille de nuit" not in portal.get(f"/cases/{first.id}").get_data(as_text=True)


def test_an_empty_or_too_long_note_is_refused_at_its_field_and_nothing_is_written(client, db_session, login_as):
    case = factories.case()
    login_as("collector")
    empty = post_note(client, case, "   ")
    assert empty.status_code == 400 and "Écrivez la note." in empty.get_data(as_text=True)
    long = post_note(client, case, "x" * 4001)
    assert long.status_code == 400
    page = long.get_data(as_text=True)
    assert "is-invalid" in page and "4000" in page and "x" * 4001 in page  # what was typed comes back
    assert notes(db_session, case_id=case.id) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "note.added")) == 0


def test_a_manager_hides_a_note_with_a_reason_and_the_row_stays(app, client, db_session, login_as):
    case = factories.case()
    author = factories.user("collector")
    note = add_case_note(case, "Numéro de carte bancaire du débiteur : 4970…", visible_to_client=True, actor=author)
    db_session.commit()

    collector = app.test_client()
    login(collector, author.email)
    token = csrf_token(collector, f"/cases/{case.id}")
    assert collector.post(f"/notes/{note.id}/hide", data={"csrf_token": token, "reason": "x"}).status_code == 403

    manager = login_as("manager")
    token = csrf_token(client, f"/cases/{case.id}")
    refused = client.post(f"/notes/{note.id}/hide", data={"csrf_token": token, "reason": " "}, follow_redirects=True)
    assert "Indiquez pourquoi la note est masquée." in refused.get_data(as_text=True)
    assert notes(db_session, id=note.id)[0].hidden_at is None
    response = client.post(f"/notes/{note.id}/hide", data={"csrf_token": token, "reason": "Donnée bancaire"})
    assert response.status_code == 302
    [kept] = notes(db_session, id=note.id)
    assert kept.body.startswith("Numéro de carte") and kept.hidden_by_id == manager.id
    assert kept.hidden_reason == "Donnée bancaire"
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "note.hidden")).one()
    assert event.after == {"note": note.id, "hidden": True, "reason": "Donnée bancaire"}
    manager_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Donnée bancaire" in manager_page  # managers still see what was hidden, and why
    collector_page = collector.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Numéro de carte" not in collector_page

    portal = app.test_client()
    user = factories.user("client", client=case.client)
    db_session.commit()
    login(portal, user.email)
    assert "Numéro de carte" not in portal.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_database_refuses_to_edit_or_delete_a_note_or_hide_it_twice(db_session):
    case = factories.case()
    manager = factories.user("manager")
    note = add_debtor_note(case.debtor, "Première version.", actor=manager)
    db_session.flush()
    for statement in (sa.update(Note).where(Note.id == note.id).values(body="Corrigée."),
                      sa.update(Note).where(Note.id == note.id).values(visible_to_client=True),
                      sa.delete(Note).where(Note.id == note.id)):
        with pytest.raises(sa.exc.DatabaseError), db_session.begin_nested():
            db_session.execute(statement)
    hide_note(note, "Erreur de débiteur", actor=manager)
    db_session.flush()
    with pytest.raises(sa.exc.DatabaseError), db_session.begin_nested():
        db_session.execute(sa.update(Note).where(Note.id == note.id).values(hidden_reason="Autre motif"))
    assert notes(db_session, id=note.id)[0].body == "Première version."
