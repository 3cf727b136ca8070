"""Redis goes away and comes back empty: the worker, its scheduler and the cron carry on (real processes).

Each test runs `flask agency worker` or `flask agency cron` as a process of its own, on a database of its
own and a Redis server of its own, which it stops for a few seconds and starts again with nothing kept.
RQ's scheduler, the worker's child process that moves jobs due later (retries, `enqueue_in`) to their
queue, dies with the outage; the worker's maintenance starts it again. Before: an idle worker waited 405 s
for a job between two maintenance runs, whatever their interval; a worker busy when Redis went away quit;
so did `rq cron`.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from agency.jobs import heartbeat
from tests.processes import OwnRedis, kill, process_env, start, wait_for
from tests.separate_app import separate_app

# Seconds between the worker's maintenance runs (60 in production): longer than the outage and the
# worker's reconnection (after 1, 2 then 4 s), so that an idle worker is back before its maintenance is
# due and waits for a job: only a wait no longer than the interval brings the maintenance on time.
MAINTENANCE = 10
OUTAGE = 3  # seconds Redis stays away: longer than the scheduler's heartbeat (1 s), which then fails
SCHEDULER_LOCK = RQScheduler.get_locking_key("default")

pytestmark = [
    pytest.mark.no_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="real mode: needs REDIS_URL (CI sets it)"),
]


@pytest.fixture(scope="module")
def own_app(app, tmp_path_factory):
    with separate_app(app, tmp_path_factory.mktemp("outage"), "outage") as own:
        yield own


@pytest.fixture
def rig(own_app, tmp_path):
    redis = OwnRedis()
    redis.start()
    env = process_env(own_app, tmp_path, redis.url, {"WORKER_MAINTENANCE_INTERVAL": MAINTENANCE})
    started = []

    def run(*command: str):
        process = start([sys.executable, "-m", "flask", "--app", "app", "agency", *command], env,
                        tmp_path / f"{command[0]}.log")
        started.append(process)
        return process

    yield redis, run
    for process in started:
        if process.poll() is None:
            kill(process)
    redis.stop()


def connect(redis: OwnRedis) -> Redis:
    return Redis(port=redis.port, socket_timeout=5, socket_connect_timeout=1)


def scheduler_pid(connection: Redis) -> int | None:
    """The process id of the scheduler holding the queue's lock, None when none holds it."""
    name = connection.get(SCHEDULER_LOCK)
    pid = name and connection.hget(SCHEDULER_KEY_TEMPLATE % name.decode(), "pid")
    return int(pid) if pid else None


def outage(redis: OwnRedis) -> None:
    redis.stop()
    time.sleep(OUTAGE)
    redis.start()  # empty: the worker's registration and the scheduler's lock are gone with the rest


def finished(job: Job) -> bool:
    return job.get_status(refresh=True) == JobStatus.FINISHED


def test_an_idle_worker_and_its_scheduler_come_back_with_redis(rig):
    redis, run = rig
    worker = run("worker")
    connection = connect(redis)
    wait_for(lambda: scheduler_pid(connection), "the worker's scheduler to start")
    first = scheduler_pid(connection)

    outage(redis)
    later = Queue("default", connection=connection).enqueue_in(timedelta(seconds=1), heartbeat)

    # Within the worker's reconnection and its maintenance interval (WAIT is 30 s), not the 405 s RQ waits.
    wait_for(lambda: finished(later), "the job due a second after Redis came back to run")
    assert worker.poll() is None
    assert scheduler_pid(connection) not in (None, first)  # a scheduler started again


def test_a_worker_busy_when_redis_goes_away_takes_jobs_again_once_it_is_back(rig):
    redis, run = rig
    worker = run("worker")
    connection = connect(redis)
    wait_for(lambda: scheduler_pid(connection), "the worker's scheduler to start")
    queue = Queue("default", connection=connection)
    busy = queue.enqueue("time.sleep", OUTAGE / 2)  # it ends while Redis is away
    wait_for(lambda: busy.get_status(refresh=True) == JobStatus.STARTED, "the worker to take the job")

    outage(redis)
    now, later = queue.enqueue(heartbeat), queue.enqueue_in(timedelta(seconds=1), heartbeat)

    wait_for(lambda: finished(now) and finished(later), "a job queued and a job due after the outage to run")
    assert worker.poll() is None


def test_the_cron_enqueues_again_once_redis_is_back(rig):
    redis, run = rig
    cron = run("cron", "tests.agency.every_second_cron")
    queue = Queue("default", connection=connect(redis))
    wait_for(lambda: queue.count, "the cron to enqueue its job")

    outage(redis)

    wait_for(lambda: queue.count, "the cron to enqueue its job again")
    assert cron.poll() is None
