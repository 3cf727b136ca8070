"""Admins manage users: deactivation ends sessions, roles, the last admin, reset links; users change their password."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from agency.message_models import EmailMessage
from agency.models import AuditEvent, User
from tests import factories
from tests.conftest import IsolatedClient, csrf_token, login

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "sept chevaux blancs"


def _other_client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


def _post(client, url, data=None, page="/admin/users"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})})


def _actions(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_deactivation_signs_the_user_out_at_their_next_request(app, client, db_session, login_as):
    collector = factories.user("collector")
    db_session.commit()
    theirs = _other_client(app)
    assert login(theirs, collector.email).status_code == 302
    assert theirs.get("/cases/").status_code == 200
    admin = login_as("admin")

    assert _post(client, f"/admin/users/{collector.id}/deactivate").status_code == 302

    response = theirs.get("/cases/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Votre session a pris fin" in theirs.get(response.headers["Location"]).get_data(as_text=True)
    assert login(theirs, collector.email).status_code == 200  # cannot sign in again
    event = _actions(db_session, "user.deactivated")[0]
    assert event.actor_id == admin.id and event.subject_id == collector.id

    assert _post(client, f"/admin/users/{collector.id}/reactivate").status_code == 302
    assert login(theirs, collector.email).status_code == 302
    assert _actions(db_session, "user.reactivated")


def test_an_admin_cannot_deactivate_themselves_nor_the_last_admin_lose_the_role(client, db_session, login_as):
    admin = login_as("admin")
    _post(client, f"/admin/users/{admin.id}/deactivate")
    assert db_session.get(User, admin.id).active
    response = _post(client, f"/admin/users/{admin.id}/role", {"role": "manager", "client_id": "0"})
    assert response.status_code == 302
    assert db_session.get(User, admin.id).role == "admin"
    assert "dernier administrateur actif" in client.get("/admin/users").get_data(as_text=True)

    other = factories.user("admin")
    db_session.commit()
    _post(client, f"/admin/users/{other.id}/role", {"role": "collector", "client_id": "0"})
    db_session.expire_all()
    assert db_session.get(User, other.id).role == "collector"
    # The other admin is no longer one: this admin is again the last.
    _post(client, f"/admin/users/{admin.id}/role", {"role": "manager", "client_id": "0"})
    db_session.expire_all()
    assert db_session.get(User, admin.id).role == "admin"


def test_a_role_change_ends_the_users_sessions_and_is_audited(app, client, db_session, login_as):
    manager = factories.user("manager")
    db_session.commit()
    theirs = _other_client(app)
    login(theirs, manager.email)
    assert theirs.get("/clients").status_code == 200
    login_as("admin")
    creditor = factories.client()
    db_session.commit()

    _post(client, f"/admin/users/{manager.id}/role", {"role": "client", "client_id": str(creditor.id)})

    db_session.expire_all()
    assert (manager.role, manager.client_id) == ("client", creditor.id)
    assert theirs.get("/clients").headers["Location"].startswith("/login")
    login(theirs, manager.email)
    assert theirs.get("/clients").status_code == 403  # signed in again, with the new role's rights
    event = _actions(db_session, "user.role_changed")[0]
    assert event.before == {"role": "manager", "client_id": None}
    assert event.after == {"role": "client", "client_id": creditor.id}


def test_user_management_is_for_admins_only(client, db_session, login_as):
    target = factories.user("collector")
    db_session.commit()
    login_as("manager")
    for action in ("deactivate", "reactivate", "role", "reset-link", "unlock", "second-factor/reset"):
        assert _post(client, f"/admin/users/{target.id}/{action}", page="/cases/").status_code == 403, action
    assert client.get("/admin/security").status_code == 403
    assert db_session.get(User, target.id).active


def test_actions_need_their_csrf_token(client, db_session, login_as):
    target = factories.user("collector")
    login_as("admin")
    assert client.post(f"/admin/users/{target.id}/deactivate").status_code == 400
    assert db_session.get(User, target.id).active


def _reset_link(db_session, email: str) -> str:
    message = db_session.scalars(
        sa.select(EmailMessage).where(EmailMessage.to_address == email).order_by(EmailMessage.id.desc())
    ).first()
    return re.search(r"http://localhost(/password/reset/\S+)", message.body).group(1)


def _use_link(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token(client, "/password/forgot")  # the session's token; a used link's page has no form
    return client.post(path, data={"new_password": password, "confirm": confirm or password, "csrf_token": token})


def test_a_reset_link_works_once_and_ends_the_users_other_sessions(app, client, db_session, login_as, time_machine):
    time_machine.move_to(NOW, tick=False)
    collector = factories.user("collector", name="Lucie Perrin")
    db_session.commit()
    theirs = _other_client(app)
    login(theirs, collector.email)
    login_as("admin")
    assert _post(client, f"/admin/users/{collector.id}/reset-link").status_code == 302
    path = _reset_link(db_session, collector.email)
    stranger = _other_client(app)

    # The page asks the password twice and states the rule; a weak one changes nothing.
    assert "Au moins 10 caractères" in stranger.get(path).get_data(as_text=True)
    assert "Les deux mots de passe diffèrent" in _use_link(stranger, path, confirm="autre chose encore").get_data(
        as_text=True)
    assert "trop peu de caractères différents" in _use_link(stranger, path, "aaaaaaaaaaaa").get_data(as_text=True)
    assert "ne doit pas contenir le nom" in _use_link(stranger, path, "perrin-2026-xyz").get_data(as_text=True)

    assert _use_link(stranger, path).headers["Location"] == "/login"
    assert theirs.get("/cases/").headers["Location"].startswith("/login")  # the other session ended
    assert login(stranger, collector.email, NEW_PASSWORD).status_code == 302
    # Once only.
    again = _other_client(app)
    assert "a déjà servi" in again.get(path).get_data(as_text=True)
    assert _use_link(again, path, "un autre mot de passe").status_code == 410
    db_session.expire_all()
    assert collector.check_password(NEW_PASSWORD)
    assert [e.subject_id for e in _actions(db_session, "user.password_reset")] == [collector.id]


def test_a_reset_link_expires_after_an_hour(app, client, db_session, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = factories.user("manager")
    db_session.commit()
    client.post("/password/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/password/forgot")})
    path = _reset_link(db_session, user.email)

    time_machine.move_to(NOW + timedelta(minutes=59, seconds=59), tick=False)
    assert client.get(path).status_code == 200
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    assert client.get(path).status_code == 410
    assert _use_link(client, path).status_code == 410
    db_session.expire_all()
    assert not user.check_password(NEW_PASSWORD)


def test_an_unknown_email_gets_the_same_answer_and_no_mail(app, client, db_session):
    factories.user("collector", email="known@example.com")
    deactivated = factories.user("collector", email="gone@example.com", active=False)
    db_session.commit()
    answers = []
    for email in ("known@example.com", "nobody@example.com", deactivated.email):
        response = client.post("/password/forgot",
                               data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
                               follow_redirects=True)
        answers.append(response.get_data(as_text=True).count("Si cette adresse correspond à un compte"))
        assert response.status_code == 200
    assert answers == [1, 1, 1]
    sent = db_session.scalars(sa.select(EmailMessage.to_address)).all()
    assert sent == ["known@example.com"]


def test_users_change_their_own_password_with_the_current_one(app, client, db_session, login_as):
    user = login_as("collector")
    elsewhere = _other_client(app)
    login(elsewhere, user.email)
    page = "/account/password"

    def change(current, new, confirm=None):
        return client.post(page, data={"current_password": current, "new_password": new, "confirm": confirm or new,
                                       "csrf_token": csrf_token(client, page)})

    assert "pas votre mot de passe actuel" in change("not it at all", NEW_PASSWORD).get_data(as_text=True)
    assert change(factories.PASSWORD, "court").status_code == 200
    assert change(factories.PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/cases/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/cases/").headers["Location"].startswith("/login")  # the other one does not
    db_session.expire_all()
    assert user.check_password(NEW_PASSWORD)
    assert _actions(db_session, "user.password_changed")[0].actor_id == user.id
