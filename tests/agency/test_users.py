"""Creating users from the admin page and from the shell."""

from __future__ import annotations

import sqlalchemy as sa

from agency.models import AuditEvent, User
from tests import factories
from tests.conftest import csrf_token, login


def test_admin_creates_a_client_user_who_can_then_sign_in(app, client, db_session, login_as):
    creditor = factories.client()
    admin = login_as("admin")
    data = {
        "name": "Chloé Bernard",
        "email": "Chloe.Bernard@Example.com",
        "role": "client",
        "client_id": str(creditor.id),
        "password": "un mot de passe long",
        "csrf_token": csrf_token(client, "/admin/users"),
    }
    response = client.post("/admin/users", data=data)
    assert response.status_code == 302
    user = db_session.scalar(sa.select(User).where(User.email == "chloe.bernard@example.com"))
    assert user.client_id == creditor.id and user.check_password("un mot de passe long")
    assert user.password_hash.startswith("scrypt:")
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.actor_id == admin.id and event.subject_id == user.id

    other = app.test_client()
    assert login(other, "chloe.bernard@example.com", "un mot de passe long").status_code == 302


def test_user_form_names_the_field_at_fault_and_creates_nothing(client, db_session, login_as):
    login_as("admin")
    factories.user("manager", email="taken@example.com")
    db_session.commit()
    before = db_session.scalar(sa.select(sa.func.count()).select_from(User))
    cases = [
        ({"email": "taken@example.com", "role": "manager"}, "taken@example.com"),
        ({"email": "new@example.com", "role": "client", "client_id": "0"}, "client"),
        # The message states the rule, not only a number.
        ({"email": "new@example.com", "role": "collector", "password": "short"},
         "Le mot de passe doit contenir au moins 10 caractères."),
    ]
    for overrides, expected in cases:
        data = {
            "name": "X",
            "password": "long enough password",
            "client_id": "0",
            "csrf_token": csrf_token(client, "/admin/users"),
            **overrides,
        }
        response = client.post("/admin/users", data=data)
        assert response.status_code == 400
        assert expected in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_create_user_from_the_shell(app, db_session):
    creditor = factories.client(code="ACME")
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "agency",
            "create-user",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--role",
            "client",
            "--client",
            "ACME",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(sa.select(User).where(User.email == "ops@example.com"))
    assert user.client_id == creditor.id and user.check_password("a long password")

    again = runner.invoke(
        args=[
            "agency",
            "create-user",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--role",
            "admin",
            "--password",
            "a long password",
        ]
    )
    assert again.exit_code != 0 and "ops@example.com est déjà utilisée" in again.output
    unknown = runner.invoke(
        args=[
            "agency",
            "create-user",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "client",
            "--client",
            "NOPE",
            "--password",
            "a long password",
        ]
    )
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_api_tokens_from_the_shell(app, db_session):
    from agency.models import ApiToken
    from agency.tokens import authenticate_token

    factories.client(code="ERPCLI")
    db_session.commit()
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["agency", "api-token", "ERPCLI", "--name", "Sage"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    row = authenticate_token(token)
    assert row is not None and row.name == "Sage" and row.token_hash != token
    revoked = runner.invoke(args=["agency", "api-token", "ERPCLI", "--revoke", row.prefix])
    assert revoked.exit_code == 0, revoked.output
    db_session.expire_all()
    assert authenticate_token(token) is None
    assert db_session.get(ApiToken, row.id).revoked_at is not None
    assert runner.invoke(args=["agency", "api-token", "NOPE"]).exit_code != 0
