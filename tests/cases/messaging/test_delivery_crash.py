"""A worker killed (SIGKILL) at each step of sending an SMS: the debtor still gets it exactly once.

Real processes: PostgreSQL and Redis, a worker process (`flask agency worker`, see sms_worker.py) on a
database of the test's own and a queue of its own, the local fake Twilio. The worker is stopped where
the test wants it by the fake Twilio holding the request ("during the call"), or by a row lock the test
holds from another connection, which the worker's next write waits for ("before the call": the attempt's
record; "after the call": the message's result; "before the final commit": its action). Then the killed
run's lease runs out, RQ sends the abandoned job back, and a new worker settles the message: it looks the
unknown attempt up in Twilio's list before sending anything again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job

from agency.db import db
from agency.message_models import SmsMessage
from cases.messaging.sms import send_case_sms
from cases.models import Action
from debtors.models import ContactProfile
from tests import factories
from tests.processes import kill, process_env, start, wait_for
from tests.separate_app import separate_app

DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
# Short timeouts and lease, so that a killed attempt is looked into a few seconds later.
SETTINGS = {"TWILIO_CONNECT_TIMEOUT": 1.0, "TWILIO_READ_TIMEOUT": 1.5, "SMS_ATTEMPT_LEASE": 3.0}

pytestmark = [
    pytest.mark.no_db,
    pytest.mark.skipif(
        not (DATABASE_URL.startswith("postgresql") and REDIS_URL),
        reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL), as CI runs the suite",
    ),
]


@dataclass
class Rig:
    app: Flask
    queue: Queue
    twilio: list  # the fake Twilio's log
    env: dict
    tmp_path: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def worker(self, name: str) -> subprocess.Popen:
        """Start a worker process on the test's database and queue, in a process group of its own."""
        worker = start([sys.executable, "-m", "tests.cases.messaging.sms_worker", self.queue.name], self.env,
                       self.tmp_path / f"worker-{name}.log")
        self.started.append(worker)
        return worker

    def message(self) -> SmsMessage:
        with self.app.app_context():
            message = db.session.scalar(sa.select(SmsMessage))
            db.session.expunge_all()
            return message

    def action(self) -> Action:
        with self.app.app_context():
            action = db.session.scalar(sa.select(Action).where(Action.sms_message_id.is_not(None)))
            db.session.expunge_all()
            return action


@pytest.fixture
def rig(app, tmp_path, fake_twilio):
    with separate_app(app, tmp_path, "smscrash") as own:
        twilio = {"TWILIO_ACCOUNT_SID": app.config["TWILIO_ACCOUNT_SID"], "TWILIO_AUTH_TOKEN": "secret-token",
                  "TWILIO_FROM": app.config["TWILIO_FROM"], "TWILIO_API_BASE": fake_twilio.base_url}
        own.config.update(twilio, REDIS_URL=REDIS_URL, **SETTINGS)
        queue = Queue(f"sms-crash-{uuid.uuid4().hex[:10]}", connection=Redis.from_url(REDIS_URL))
        own.extensions["amiable.queue"] = queue
        rig = Rig(own, queue, fake_twilio, process_env(own, tmp_path, REDIS_URL, twilio | SETTINGS), tmp_path)
        try:
            yield rig
        finally:
            for worker in rig.started:  # a failed test may leave one running
                if worker.poll() is None:
                    kill(worker)
            fake_twilio.release.set()
            _forget_jobs(rig)


def _forget_jobs(rig: Rig) -> None:
    """Remove the test's jobs and queue from Redis (the test database goes with separate_app)."""
    with rig.app.app_context():
        ids = db.session.scalars(sa.text("SELECT job_id FROM job_outbox")).all()
    for job_id in ids:
        Job(job_id, connection=rig.queue.connection).delete()
    for key in rig.queue.connection.scan_iter(f"*{rig.queue.name}*"):
        rig.queue.connection.delete(key)


def queue_the_sms(rig: Rig) -> None:
    """A case whose debtor may be texted at any hour; its reminder SMS recorded and its delivery job queued."""
    with rig.app.app_context():
        factories.agency_profile()
        profile = db.session.scalar(sa.select(ContactProfile).where(ContactProfile.code == "FR"))
        profile.windows = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
        profile.no_contact_on_holidays = False
        debtor = factories.debtor(title="Mme", first_name="Jeanne", last_name="Martin")
        factories.contact(debtor, "phone", "+33612345678", label="mobile", is_primary=True)
        case = factories.case(factories.client(), debtor, amounts=(100_000,))
        send_case_sms(case, "reminder", actor=None)
        db.session.commit()  # the job reaches Redis once this commits
        db.session.remove()


def hold_row(rig: Rig, table: str, row_id: int) -> sa.Connection:
    """Lock a row from another connection (the worker's write of it waits); roll back the result to let go."""
    model = {"sms_message": SmsMessage, "action": Action}[table]
    connection = _engine(rig).connect()
    connection.execute(sa.select(model.id).where(model.id == row_id).with_for_update())
    return connection


def _engine(rig: Rig) -> sa.Engine:
    return sa.create_engine(rig.app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)


def worker_waits_for_a_lock(rig: Rig) -> bool:
    with _engine(rig).connect() as connection:
        return bool(connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )))


def recover(rig: Rig) -> SmsMessage:
    """After the kill: the lease runs out, RQ sends the abandoned job back, a new worker settles the message."""
    time.sleep(SETTINGS["SMS_ATTEMPT_LEASE"])
    # RQ's maintenance once the killed worker's heartbeat has expired (the job's timeout and a minute later):
    # the job goes back to its queue, its first retry being immediate.
    rig.queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    worker = rig.worker("second")
    try:
        wait_for(lambda: rig.message().status != "sending", "the new worker to settle the message")
    finally:
        kill(worker)
    return rig.message()


def assert_sent_once(rig: Rig, message: SmsMessage) -> None:
    [accepted] = rig.twilio.accepted  # exactly one SMS reached the debtor's number
    assert (message.status, message.provider_sid) == ("queued", accepted["sid"])
    assert (message.attempted_at, message.next_attempt_at) == (None, None)
    assert rig.action().outcome == "sent"


def test_killed_before_the_call_the_sms_is_sent_once(rig):
    queue_the_sms(rig)
    lock = hold_row(rig, "sms_message", rig.message().id)  # the worker's record of its attempt waits
    worker = rig.worker("first")
    wait_for(lambda: worker_waits_for_a_lock(rig), "the worker to record its attempt")
    kill(worker)
    lock.rollback()
    lock.close()
    assert rig.twilio == [] and rig.message().attempts == 0  # nothing was sent, nothing recorded
    message = recover(rig)
    assert_sent_once(rig, message)
    assert len(rig.twilio) == 1 and rig.twilio.lists == 0  # no attempt to look for: sent at once


def test_killed_during_the_call_the_sms_is_sent_once(rig):
    queue_the_sms(rig)
    rig.twilio.answers.append("block")  # Twilio takes the message and holds its answer
    worker = rig.worker("first")
    wait_for(rig.twilio.arrived.is_set, "the worker to call Twilio")
    kill(worker)
    rig.twilio.release.set()
    assert len(rig.twilio.accepted) == 1 and rig.message().attempted_at is not None  # outcome unknown
    message = recover(rig)
    assert_sent_once(rig, message)
    assert len(rig.twilio) == 1 and rig.twilio.lists == 1  # found in Twilio's list, not sent again


@pytest.mark.parametrize("held", ["sms_message", "action"], ids=["after the call", "before the final commit"])
def test_killed_after_twilio_took_it_the_sms_is_sent_once(rig, held):
    queue_the_sms(rig)
    row_id = rig.message().id if held == "sms_message" else rig.action().id
    locks = []
    # Twilio takes the message; before it answers, the test takes the row the worker writes next.
    rig.twilio.on_accept = lambda _message: locks.append(hold_row(rig, held, row_id))
    worker = rig.worker("first")
    wait_for(lambda: locks and worker_waits_for_a_lock(rig), "the worker to record Twilio's answer")
    kill(worker)
    locks[0].rollback()
    locks[0].close()
    assert rig.message().status == "sending"  # Twilio's answer was never committed
    message = recover(rig)
    assert_sent_once(rig, message)
    assert len(rig.twilio) == 1 and rig.twilio.lists == 1
