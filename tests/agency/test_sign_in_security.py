"""Signing in safely: the lock after repeated failures, idle expiry, the second factor and its recovery codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from agency.models import AuditEvent, User
from agency.security_models import RecoveryCode, SecuritySettings
from tests import factories
from tests.conftest import csrf_token, login

NOW = datetime(2026, 3, 10, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def enforced(app):
    """The real rule: admins and managers must have the second factor (the harness turns it off elsewhere)."""
    app.config["SECOND_FACTOR_ENFORCED"] = True
    yield
    app.config["SECOND_FACTOR_ENFORCED"] = False


@pytest.fixture
def expiring(app):
    """The real rule: sessions end when idle or too old (the harness turns it off elsewhere)."""
    app.config["SESSION_EXPIRY_ENFORCED"] = True
    yield
    app.config["SESSION_EXPIRY_ENFORCED"] = False


def _events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _code_at(moment: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def _send_code(client, code: str):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})


def _enrolled(role: str = "manager", **fields) -> User:
    user = factories.user(role, **fields)
    user.totp_secret = SECRET
    return user


# Repeated failures


def test_failures_slow_down_then_lock_the_account_whether_it_exists_or_not(client, db_session, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = factories.user("collector", email="lea@example.com")
    db_session.commit()
    answers = {}
    for email in ("lea@example.com", "nobody@example.com"):
        texts = []
        for wait in (0, 0, 0, 5, 10):  # the 3rd failure asks 5 s, the 4th 10 s, the 5th locks
            time_machine.shift(wait)
            texts.append(login(client, email, "not the password").get_data(as_text=True))
        too_soon = login(client, email, "not the password").get_data(as_text=True)
        answers[email] = [re.search(r"alert-danger[^>]*>\s*([^<]+)", t).group(1).strip() for t in texts + [too_soon]]
    assert answers["lea@example.com"] == answers["nobody@example.com"]  # nothing tells whether the e-mail exists
    assert "Attendez" not in answers["lea@example.com"][1]
    assert "bloquée pendant 15 minutes" in answers["lea@example.com"][-1]

    # Locked: even the right password is refused, without being checked.
    locked_at = NOW + timedelta(seconds=15)  # lea's 5th failure
    assert login(client, "lea@example.com").status_code == 200
    time_machine.move_to(locked_at + timedelta(minutes=15, seconds=-1), tick=False)
    assert login(client, "lea@example.com").status_code == 200
    time_machine.move_to(locked_at + timedelta(minutes=15), tick=False)
    assert login(client, "lea@example.com").status_code == 302  # the lock is over
    locks = _events(db_session, "user.locked")
    assert [(e.actor_label, e.subject_id) for e in locks] == [("lea@example.com", user.id),
                                                              ("nobody@example.com", None)]
    reasons = [e.after["reason"] for e in _events(db_session, "user.login_failed") if e.actor_label == "lea@example.com"]
    assert reasons.count("password") == 5 and "locked" in reasons


def test_an_admin_unlocks_an_account(app, client, db_session, login_as, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = factories.user("collector")
    db_session.commit()
    theirs = app.test_client()
    for wait in (0, 0, 0, 5, 10):
        time_machine.shift(wait)
        login(theirs, user.email, "wrong password!")
    assert login(theirs, user.email).status_code == 200
    admin = login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Bloqué" in page
    client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_token(client, "/admin/users")})
    assert login(theirs, user.email).status_code == 302
    assert _events(db_session, "user.unlocked")[0].actor_id == admin.id


def test_failures_from_one_address_lock_that_address(app, client, db_session, time_machine):
    time_machine.move_to(NOW, tick=False)
    app.config["LOGIN_ADDRESS_FAILURES"] = 6
    try:
        user = factories.user("collector")
        db_session.commit()
        for n in range(6):  # a different e-mail each time: no account reaches its own limit
            login(client, f"guess{n}@example.com", "password guess")
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        assert login(client, user.email).status_code == 200  # this address is locked
        assert login(elsewhere, user.email).status_code == 302  # another is not
        assert [e.subject_type for e in _events(db_session, "user.locked")] == ["login_address"]
        time_machine.shift(15 * 60)
        assert login(client, user.email).status_code == 302
    finally:
        app.config.pop("LOGIN_ADDRESS_FAILURES")


# Idle and absolute expiry


def test_an_idle_session_expires_at_its_boundary(client, db_session, login_as, time_machine, expiring):
    time_machine.move_to(NOW, tick=False)
    login_as("collector")
    time_machine.shift(30 * 60)  # exactly the limit: still signed in, and the clock starts again
    assert client.get("/cases/").status_code == 200
    time_machine.shift(30 * 60 + 1)
    response = client.get("/cases/?status=new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases/?status%3Dnew"
    assert "déconnecté après une période d’inactivité" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert client.get("/cases/").headers["Location"].startswith("/login")


def test_the_idle_limit_and_lifetime_are_settings(client, db_session, login_as, time_machine, expiring):
    time_machine.move_to(NOW, tick=False)
    db_session.add(SecuritySettings(id=1, idle_minutes=10, client_idle_minutes=60, session_hours=1))
    db_session.commit()
    login_as("collector")
    time_machine.shift(10 * 60 + 1)
    assert client.get("/cases/").headers["Location"].startswith("/login")
    login_as("collector")
    for _ in range(7):  # active every 9 minutes, yet signed out one hour after signing in
        time_machine.shift(9 * 60)
        status = client.get("/cases/").status_code
    assert status == 302
    assert "durée maximale" in client.get("/login").get_data(as_text=True)


def test_admin_changes_the_settings(client, db_session, login_as):
    login_as("admin")
    data = {"second_factor_collectors": "y", "idle_minutes": "20", "client_idle_minutes": "45", "session_hours": "8",
            "csrf_token": csrf_token(client, "/admin/security")}
    assert client.post("/admin/security", data=data).status_code == 302
    row = db_session.get(SecuritySettings, 1)
    assert (row.second_factor_collectors, row.idle_minutes, row.session_hours) == (True, 20, 8)
    assert _events(db_session, "security.settings_changed")[0].after["idle_minutes"] == 20
    bad = {**data, "idle_minutes": "2", "csrf_token": csrf_token(client, "/admin/security")}
    assert client.post("/admin/security", data=bad).status_code == 400


# The second factor


def _enrol(client, moment: datetime) -> tuple[str, list[str]]:
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/second-factor", data={
        "code": _code_at(moment, secret), "csrf_token": csrf_token(client, "/account/second-factor")})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li class=\"col\">([a-z0-9-]+)</li>", response.get_data(as_text=True))
    return secret, codes


def test_enrolment_then_sign_in_with_a_code_never_twice(app, client, db_session, login_as, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = login_as("collector")
    bad = client.post("/account/second-factor",
                      data={"code": "000000", "csrf_token": csrf_token(client, "/account/second-factor")})
    assert bad.status_code == 400 and not db_session.get(User, user.id).totp_enabled
    secret, codes = _enrol(client, NOW)
    assert len(codes) == 10 and len(set(codes)) == 10
    db_session.expire_all()
    assert user.totp_secret == secret
    assert db_session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 10
    assert not db_session.scalar(sa.select(RecoveryCode).where(RecoveryCode.code_hash.contains(codes[0])))

    other = app.test_client()
    assert login(other, user.email).headers["Location"].startswith("/login/code")
    assert other.get("/cases/").headers["Location"].startswith("/login")  # not signed in yet
    # The enrolment's code (this step) is spent; the next step's code is accepted once (±1 step).
    assert "Code incorrect." in _send_code(other, _code_at(NOW, secret)).get_data(as_text=True)
    next_code = _code_at(NOW + timedelta(seconds=30), secret)
    assert _send_code(other, next_code).status_code == 302
    assert other.get("/cases/").status_code == 200

    third = app.test_client()
    login(third, user.email)
    assert _send_code(third, next_code).status_code == 200  # replayed: refused
    assert _send_code(third, _code_at(NOW + timedelta(seconds=90), secret)).status_code == 200  # too far ahead
    time_machine.shift(60)
    assert _send_code(third, _code_at(NOW + timedelta(seconds=90), secret)).status_code == 302
    assert _events(db_session, "user.second_factor_enabled")[0].actor_id == user.id
    assert [e.after for e in _events(db_session, "user.login")][-1] == {"second_factor": "totp"}


def test_a_recovery_code_works_once(app, client, db_session, login_as, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = login_as("collector")
    _secret, codes = _enrol(client, NOW)
    web = app.test_client()
    login(web, user.email)
    assert _send_code(web, codes[3].upper().replace("-", " ")).status_code == 302  # as a person types it
    again = app.test_client()
    login(again, user.email)
    assert _send_code(again, codes[3]).status_code == 200
    assert _events(db_session, "user.recovery_code_used")[0].after == {"left": 9}


def test_the_code_must_follow_the_password(app, client, db_session, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = _enrolled()
    db_session.commit()
    assert client.get("/login/code").headers["Location"] == "/login"
    login(client, user.email)
    assert client.get("/login/code").status_code == 200
    time_machine.shift(301)
    assert client.get("/login/code").headers["Location"] == "/login"


def test_wrong_codes_count_towards_the_lock(client, db_session, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = _enrolled()
    db_session.commit()
    login(client, user.email)
    for wait in (0, 0, 0, 5, 10):
        time_machine.shift(wait)
        _send_code(client, "123456")
    assert "bloquée" in _send_code(client, _code_at(NOW + timedelta(seconds=15))).get_data(as_text=True)
    assert [e.after["reason"] for e in _events(db_session, "user.login_failed")][:5] == ["code"] * 5


def test_admins_and_managers_must_enrol_before_anything_else(app, client, db_session, enforced, time_machine):
    time_machine.move_to(NOW, tick=False)
    admin = factories.user("admin")
    db_session.commit()
    assert login(client, admin.email).status_code == 302
    for url in ("/cases/", "/admin/users", "/account/password"):
        response = client.get(url)
        assert response.headers["Location"] == "/account/second-factor", url
    html = client.get("/account/second-factor").get_data(as_text=True)
    assert "Votre rôle l’exige" in html
    _enrol(client, NOW)
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("role, setting", [("collector", "second_factor_collectors"), ("client", "second_factor_clients")])
def test_collectors_and_client_users_must_enrol_when_the_settings_say_so(
        client, db_session, enforced, login_as, role, setting):
    login_as(role)
    assert client.get("/cases/").status_code == 200
    db_session.add(SecuritySettings(id=1, **{setting: True}))
    db_session.commit()
    assert client.get("/cases/").headers["Location"] == "/account/second-factor"


def test_an_admin_resets_a_lost_second_factor(app, client, db_session, enforced, time_machine):
    time_machine.move_to(NOW, tick=False)
    manager = _enrolled("manager")
    admin = _enrolled("admin", email="root@example.com")
    db_session.commit()
    login(client, admin.email)
    _send_code(client, _code_at(NOW))
    client.post(f"/admin/users/{manager.id}/second-factor/reset",
                data={"csrf_token": csrf_token(client, "/admin/users")})
    db_session.expire_all()
    assert manager.totp_secret is None
    theirs = app.test_client()
    assert login(theirs, manager.email).headers["Location"] == "/"
    assert theirs.get("/cases/").headers["Location"] == "/account/second-factor"
    assert _events(db_session, "user.second_factor_reset")[0].actor_id == admin.id
