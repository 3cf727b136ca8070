"""Postings running at once on PostgreSQL: those of different cases do not wait for each other, a run over
every case waits for them, and two of the same case post its difference once.

Each posting runs in a thread of its own with its own connection, on a database of its own whose rows the
threads can see (tests.separate_app).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from agency.db import db
from cases.interest.posting import post_interest
from cases.models import EntryKind, LedgerEntry
from tests import factories
from tests.separate_app import separate_app

pytestmark = pytest.mark.no_db

THROUGH = date(2026, 6, 30)
WAIT_S = 10


@pytest.fixture
def lock_app(app, tmp_path):
    if sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: there is no posting lock to test")
    with separate_app(app, tmp_path, "posting_locks") as own:
        with own.app_context(), own.test_request_context():
            client = factories.client()
            cases = [factories.case(client, kind="b2b", amounts=(100_000,)) for _ in range(2)]
            db.session.commit()
            own.config["CASE_IDS"] = [c.id for c in cases]
        yield own


def _posting(app, case_ids, posted: threading.Event, release: threading.Event | None, errors: list):
    """Post interest on `case_ids` (every case: None), say so, then keep the transaction open until `release`."""
    def run():
        try:
            with app.app_context(), app.test_request_context():
                post_interest(THROUGH, case_ids)
                posted.set()
                if release is not None:
                    release.wait(WAIT_S)
                db.session.commit()
        except BaseException as exc:  # reported by the test, which would otherwise pass on a dead thread
            errors.append(exc)
            posted.set()
    return threading.Thread(target=run)


def test_postings_of_different_cases_run_at_once_and_a_run_over_every_case_waits(lock_app):
    first, second = lock_app.config["CASE_IDS"]
    errors: list = []
    release = threading.Event()
    first_posted, second_posted, all_posted = threading.Event(), threading.Event(), threading.Event()
    holding = _posting(lock_app, [first], first_posted, release, errors)
    holding.start()
    assert first_posted.wait(WAIT_S)
    other = _posting(lock_app, [second], second_posted, None, errors)
    other.start()
    assert second_posted.wait(WAIT_S), "a posting on another case waited for the first one's transaction"
    other.join(WAIT_S)
    every = _posting(lock_app, None, all_posted, None, errors)
    every.start()
    assert not all_posted.wait(1), "the run over every case did not wait for the posting still open"
    release.set()
    assert all_posted.wait(WAIT_S)
    for thread in (holding, every):
        thread.join(WAIT_S)
    assert not errors


def test_two_postings_of_the_same_case_at_once_post_its_difference_once(lock_app):
    first, _ = lock_app.config["CASE_IDS"]
    errors: list = []
    release = threading.Event()
    holding_posted, twin_posted = threading.Event(), threading.Event()
    holding = _posting(lock_app, [first], holding_posted, release, errors)
    holding.start()
    assert holding_posted.wait(WAIT_S)
    twin = _posting(lock_app, [first], twin_posted, None, errors)
    twin.start()
    assert not twin_posted.wait(1), "a second posting of the same case did not wait for the first"
    release.set()
    for thread in (holding, twin):
        thread.join(WAIT_S)
    assert not errors
    with lock_app.app_context():
        kinds = db.session.scalars(
            sa.select(LedgerEntry.kind).where(LedgerEntry.case_id == first,
                                              LedgerEntry.kind.in_([EntryKind.INTEREST.value,
                                                                    EntryKind.INDEMNITY.value]))
        ).all()
    assert kinds.count(EntryKind.INTEREST.value) == 1  # the twin found the difference already posted
    assert kinds.count(EntryKind.INDEMNITY.value) <= 1
