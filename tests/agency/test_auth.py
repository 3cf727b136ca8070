"""Signing in and out, cookies, CSRF, navigation per role, tenant scope on case pages."""

from __future__ import annotations

import re

import sqlalchemy as sa

from agency.models import AuditEvent
from tests import factories
from tests.conftest import csrf_token, login


def test_login_succeeds_with_the_right_password(client, db_session):
    user = factories.user("collector", email="Marie.Dupont@Example.com")
    db_session.commit()
    response = login(client, "marie.dupont@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/cases/").status_code == 200
    assert (
        db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.login")).actor_id == user.id
    )


def test_login_fails_with_a_wrong_password_or_unknown_email(client, db_session):
    factories.user("collector", email="paul@example.com")
    db_session.commit()
    for email, password in [
        ("paul@example.com", "wrong password!"),
        ("nobody@example.com", factories.PASSWORD),
    ]:
        response = login(client, email, password)
        assert response.status_code == 200
        assert "alert-danger" in response.get_data(as_text=True)
    assert client.get("/cases/").status_code == 302
    failed = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.login_failed")).all()
    assert {e.actor_label for e in failed} == {"paul@example.com", "nobody@example.com"}


def test_inactive_user_cannot_sign_in(client, db_session):
    factories.user("manager", email="gone@example.com", active=False)
    db_session.commit()
    assert login(client, "gone@example.com").status_code == 200
    assert client.get("/cases/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, login_as):
    login_as("collector")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_logout_needs_post_with_csrf_and_ends_the_session(client, login_as):
    login_as("collector")
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/cases/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/")}).status_code == 302
    assert client.get("/cases/").headers["Location"].startswith("/login")


def test_forms_reject_a_missing_or_wrong_csrf_token(client, db_session):
    factories.user("admin", email="root@example.com")
    db_session.commit()
    for token in (None, "forged"):
        data = {"email": "root@example.com", "password": factories.PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "expired" in response.get_data(as_text=True) or "expiré" in response.get_data(as_text=True)
    assert client.get("/cases/").status_code == 302


def test_anonymous_users_are_sent_to_login_with_next(client):
    response = client.get("/cases/?status=new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_next_parameter_never_leaves_the_site(client, db_session):
    factories.user("collector", email="c@example.com")
    db_session.commit()
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "c@example.com", "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def listed_case_ids(client, url: str) -> set[int]:
    """Return the ids of the cases linked from the list page at `url`."""
    html = client.get(url).get_data(as_text=True)
    return {int(i) for i in re.findall(r'href="/cases/(\d+)"', html)}


NAV_LINKS = {"/cases/": "cases", "/clients": "clients", "/outbox": "outbox", "/admin/users": "users"}
EXPECTED_NAV = {
    "admin": {"cases", "clients", "outbox", "users"},
    "manager": {"cases", "clients", "outbox"},
    "collector": {"cases", "outbox"},
    "client": {"cases"},
}


def test_each_role_sees_its_own_navigation(app, client, login_as):
    for role, expected in EXPECTED_NAV.items():
        login_as(role)
        html = client.get("/cases/").get_data(as_text=True)
        nav = html[
            html.index('data-testid="main-nav"') : html.index("</ul>", html.index('data-testid="main-nav"'))
        ]
        links = {
            name for href, name in NAV_LINKS.items() if f'href="{href}"' in nav or f'href="{href}"' in html
        }
        assert links == expected, role
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/")})


def test_client_user_sees_only_its_cases_and_gets_404_on_others(client, db_session, login_as):
    own_client, other_client = factories.client(), factories.client()
    own = factories.case(client_row=own_client, debtor_row=factories.debtor(last_name="Durand"))
    other = factories.case(client_row=other_client, debtor_row=factories.debtor(last_name="Lefebvre"))
    db_session.commit()
    login_as("client", client_row=own_client)

    assert listed_case_ids(client, "/cases/") == {own.id}
    assert listed_case_ids(client, f"/cases/?q={other.reference}") == set()
    assert listed_case_ids(client, f"/cases/?client={other_client.id}") == {own.id}  # ignored for clients
    assert client.get(f"/cases/{own.id}").status_code == 200
    assert client.get(f"/cases/{other.id}").status_code == 404


def test_client_user_does_not_see_internal_notes_or_contact_details(client, db_session, login_as):
    from datetime import UTC, datetime

    from cases.models import Action

    own_client = factories.client()
    debtor = factories.debtor()
    factories.contact(debtor, value="+33611223344")
    case = factories.case(client_row=own_client, debtor_row=debtor)
    db_session.add(
        Action(
            case=case,
            kind="call",
            channel="phone",
            outcome="promise",
            status="done",
            done_at=datetime.now(UTC),
            note="Le débiteur est agressif au téléphone",
        )
    )
    db_session.add(
        Action(
            case=case,
            kind="note",
            channel="internal",
            status="done",
            done_at=datetime.now(UTC),
            note="Vérifier la solvabilité",
        )
    )
    db_session.commit()

    login_as("collector")
    staff_view = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "agressif" in staff_view and "solvabilité" in staff_view and "06 11 22 33 44" in staff_view
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/")})

    login_as("client", client_row=own_client)
    client_view = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "agressif" not in client_view and "solvabilité" not in client_view
    assert "06 11 22 33 44" not in client_view
    assert case.reference in client_view
