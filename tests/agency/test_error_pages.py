"""Every error page is the platform's own, in French: a crash, a busy database, a wrong method."""

from __future__ import annotations

import html
import sqlite3

import pytest
from flask_migrate import upgrade

from agency.db import db

pytestmark = pytest.mark.no_db


@pytest.fixture
def own_app(tmp_path):
    """An app on a SQLite file of its own that does not raise crashes (as in production)."""
    from app import create_app

    path = tmp_path / "errors.db"
    application = create_app({
        "TESTING": True, "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False, "REDIS_URL": "",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SQLITE_BUSY_TIMEOUT": 0.3,
    })
    with application.app_context():
        upgrade(revision="heads")

    @application.get("/crash-for-test")
    def crash():
        raise RuntimeError("a bug")

    yield application, path
    with application.app_context():
        db.engine.dispose()


def test_a_crash_shows_the_platforms_page_in_french(own_app):
    application, _ = own_app
    response = application.test_client().get("/crash-for-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'data-testid="error-page"' in page and "Une erreur s’est produite de notre côté" in page
    assert "Internal Server Error" not in page


def test_a_database_locked_too_long_answers_busy_not_500(own_app):
    application, path = own_app
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the busy timeout
    try:
        response = application.test_client().post(
            "/login", data={"email": "anne@example.com", "password": "wrong password"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "La plateforme est occupée un instant" in response.get_data(as_text=True)


def test_wrong_method_and_unknown_page_are_in_french(client):
    response = client.put("/login")
    assert response.status_code == 405 and "Allow" in response.headers
    assert "Cette page ne s’utilise pas ainsi" in response.get_data(as_text=True)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Cette page n'existe pas" in html.unescape(response.get_data(as_text=True))


def test_the_api_answers_errors_in_json(client):
    response = client.delete("/api/v1/placements")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == 405
