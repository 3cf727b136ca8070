"""Test harness: one app and one migrated database per session, one rolled-back transaction per test.

SQLite by default; PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI sets both). The
schema is built by the Alembic migration, never by create_all, so the migration is what is tested.
"""

from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    if "test" not in sa.engine.make_url(url).database:
        raise pytest.UsageError(f"refusing to wipe {url}: the test database name must contain 'test'")
    return url


def _wipe_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("instance")
    os.environ["AMIABLE_INSTANCE"] = str(tmp_dir)
    url = _database_url(tmp_dir)
    if url.startswith("postgresql"):
        _wipe_postgres(url)
    from app import create_app

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "SERVER_NAME": "localhost",
            # Tests not about signing in skip the second factor's enrolment; tests/agency/test_sign_in_security.py
            # turns it back on to test the rule itself.
            "SECOND_FACTOR_ENFORCED": False,
            # Tests that move the clock by hours within one browser keep it signed in; the tests of expiry in
            # tests/agency/test_sign_in_security.py turn the rule back on.
            "SESSION_EXPIRY_ENFORCED": False,
        }
    )
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
    return application


@pytest.fixture(autouse=True)
def db_session(request, app):
    """Run the test inside a transaction that is rolled back; requests and jobs join it as savepoints."""
    if "no_db" in request.keywords:
        yield None
        return
    from agency.db import db

    with app.app_context():
        engines = db.engines
        connection = db.engine.connect()
        transaction = connection.begin()
        saved_engine, saved_session = engines[None], db.session
        engines[None] = connection  # every session of this app now talks through this connection
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = saved_session
            engines[None] = saved_engine
            transaction.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context (own `g`, own session), as in production.

    Without this, a request would reuse the test's app context, so the signed-in user cached in `g`
    would leak from one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """Return a CSRF token of the client's session, read from a page that has a form."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = factories.PASSWORD):
    """Sign in through the real login form, CSRF token included."""
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client, db_session):
    """Create a user of `role` (and a client for client users), sign them in, return the user."""

    def _login_as(role: str, client_row=None):
        user = factories.user(role, client=client_row)
        db_session.commit()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


def burst_worker(queue):
    """An RQ worker for one burst inside a test: no command channel (its pub/sub thread can take a minute
    to stop), jobs run in this process."""
    from rq import SimpleWorker

    class BurstWorker(SimpleWorker):
        def subscribe(self) -> None:
            pass

    return BurstWorker([queue], connection=queue.connection)


@pytest.fixture
def run_jobs(app):
    """Run the jobs waiting in Redis now (real mode); in embedded mode they already ran inline."""

    def _run() -> None:
        from agency.db import db
        from agency.jobs import get_queue

        queue = get_queue()
        if queue.is_async:
            # What the test enqueued is in the outbox of its open transaction: committing it pushes it.
            db.session.commit()
            db.session.expire_all()  # the worker shares the test's session: let it see what requests wrote
            burst_worker(queue).work(burst=True)

    return _run
