"""An app on a fresh, migrated database of its own, for tests whose rows other connections must see.

Committed rows would leak out of the test database's per-test rollback, so these tests get a file
beside it on SQLite, or `<test database>_<name>` on PostgreSQL, dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from agency.db import db


@contextmanager
def separate_app(app: Flask, tmp_path: Path, name: str) -> Iterator[Flask]:
    """Yield an app on its own migrated database named after `name`; inside its app context while seeding."""
    from app import create_app

    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    postgres = url.get_backend_name() == "postgresql"
    if postgres:
        url = url.set(database=f"{url.database}_{name}")
        _recreate(url)
    else:
        url = sa.engine.make_url(f"sqlite:///{tmp_path / f'{name}.db'}")
    own = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.render_as_string(False), "REDIS_URL": ""})
    with own.app_context():
        upgrade(revision="heads")
    try:
        yield own
    finally:
        with own.app_context():
            db.engine.dispose()
        if postgres:
            _recreate(url, create=False)


def _recreate(url: sa.URL, create: bool = True) -> None:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        if create:
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
