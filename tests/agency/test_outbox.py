"""The job outbox: with Redis stopped, a payment, a placement and a plan are committed without an error
page, and their follow-up jobs run once, after Redis is back (real mode: PostgreSQL + Redis, as in CI).

The tests stop and start a Redis server of their own, so the one the suite uses is left alone.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from agency import jobs, outbox
from agency.clock import today
from agency.db import db, utcnow
from agency.outbox import OutboxJob
from cases.placement.models import Placement
from money.models import Payment, PaymentPlan
from tests import factories
from tests.cases.placement.test_pages import GOOD, upload
from tests.conftest import burst_worker, csrf_token
from tests.money.payments.test_pages import form_values
from tests.processes import OwnRedis

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="real mode: needs REDIS_URL (CI sets it)")


@pytest.fixture
def own_redis(app):
    server = OwnRedis()
    server.start()
    saved = app.extensions["amiable.queue"]
    connection = Redis(port=server.port, socket_timeout=2, socket_connect_timeout=1)
    app.extensions["amiable.queue"] = Queue("default", connection=connection, default_timeout=jobs.DEFAULT_TIMEOUT)
    yield server
    app.extensions["amiable.queue"] = saved
    server.stop()


def work() -> None:
    """Run what waits in the queue, as a worker would (it shares the test's session)."""
    db.session.expire_all()
    queue = jobs.get_queue()
    burst_worker(queue).work(burst=True)


def later_sweep() -> dict:
    """The periodic sweep, run as if its delay had passed."""
    counts = outbox.sweep(jobs.get_queue(), now=utcnow() + outbox.SWEEP_AFTER * 2, options_of=jobs._options_of)
    db.session.commit()
    return counts


def pending() -> list[OutboxJob]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxJob).where(OutboxJob.done_at.is_(None))))


def test_a_payment_recorded_while_redis_is_down_gets_its_receipt_once_redis_is_back(
        client, db_session, login_as, own_redis):
    factories.agency_profile()
    case = factories.case(amounts=(250_000,))
    db_session.commit()
    login_as("collector")
    values = {**form_values(client, f"/cases/{case.id}"), "amount": "100,00", "received_on": today().isoformat(),
              "method": "transfer", "channel": "trust"}
    own_redis.stop()

    response = client.post(f"/cases/{case.id}/payments/new", data=values)

    assert response.status_code == 302  # recorded, no error page
    [payment] = db_session.scalars(sa.select(Payment).where(Payment.case_id == case.id)).all()
    assert payment.receipt_path == ""
    [waiting] = pending()
    assert waiting.job_id == f"payment-{payment.id}-receipt"
    own_redis.start()  # an empty Redis: what it held before is gone too
    assert later_sweep()["pushed"] == 1
    work()
    db_session.refresh(payment)
    assert payment.receipt_path and pending() == []
    assert later_sweep() == {"pushed": 0, "done": 0, "failed": 0, "waiting": 0}  # nothing to do twice


def test_a_placement_uploaded_while_redis_is_down_is_checked_once_redis_is_back(
        client, db_session, login_as, own_redis):
    creditor = factories.client()
    login_as("client", client_row=creditor)
    own_redis.stop()

    response = upload(client, GOOD)

    assert response.status_code == 302
    placement = db_session.scalar(sa.select(Placement).where(Placement.client_id == creditor.id))
    assert placement.status == "validating"
    assert client.get(f"/placements/{placement.id}/progress").status_code == 200  # no error while Redis is away
    own_redis.start()
    later_sweep()
    work()
    db_session.refresh(placement)
    assert placement.status == "validated" and placement.rows_valid == 2 and pending() == []


def test_a_plan_agreed_while_redis_is_down_gets_its_agreement_once_and_a_second_push_does_nothing(
        client, db_session, login_as, own_redis):
    factories.agency_profile()
    debtor = factories.debtor(first_name="Paul", last_name="Durand", title="M")
    factories.postal_address(debtor, address_line1="3 rue Mercière", postcode="69002", city="Lyon")
    case = factories.case(factories.client(), debtor, amounts=(120_000,))
    factories.letter(case)
    db_session.commit()
    login_as("collector")
    url = f"/cases/{case.id}/plans/new"
    first = today() + timedelta(days=10)
    data = {"csrf_token": csrf_token(client, url), "total": "1200,00", "count": "2", "first_due": first.isoformat(),
            "every": "month", "grace_days": "5", "agree": "1",
            "instalments-0-amount": "600,00", "instalments-0-due_on": first.isoformat(),
            "instalments-1-amount": "600,00", "instalments-1-due_on": (first + timedelta(days=31)).isoformat()}
    own_redis.stop()

    assert client.post(url, data=data).status_code == 302

    plan = db_session.scalars(sa.select(PaymentPlan).where(PaymentPlan.case_id == case.id)).one()
    assert plan.status == "active" and not plan.agreement_sha256
    [waiting] = pending()
    own_redis.start()
    later_sweep()
    # The same job pushed a second time (the relay and the sweep both did): its work is done once.
    outbox.push(jobs.get_queue(), outbox.Push(waiting.id, waiting.func, waiting.args, waiting.kwargs,
                                              waiting.job_id + "-again", {}))
    work()
    db_session.refresh(plan)
    stored = plan.agreement_sha256
    assert stored and pending() == []
    assert db_session.get(OutboxJob, waiting.id).done_at is not None


def test_a_job_that_never_succeeds_is_given_up_and_shown_on_the_system_page(
        client, db_session, login_as, own_redis):
    from tests.agency.test_jobs import fail_loudly

    jobs.enqueue(fail_loudly, "disk on fire", job_id="doomed")
    db_session.commit()
    queue = jobs.get_queue()
    for _ in range(outbox.MAX_RELAYS + 1):
        queue.connection.delete(*queue.connection.keys("rq:job:doomed*"))  # as if Redis lost it each time
        later_sweep()
    [row] = db_session.scalars(sa.select(OutboxJob).where(OutboxJob.job_id == "doomed")).all()
    assert row.failed_at is not None and row.relays == outbox.MAX_RELAYS
    login_as("admin")
    page = client.get("/admin/system").get_data(as_text=True)
    assert "doomed" in page and "fail_loudly" in page
