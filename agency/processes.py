"""Real mode's long-running processes, `flask agency worker` and `flask agency cron`, kept going while
Redis is away.

RQ's own loops do not all come through an outage: its worker quits when Redis goes away while a job
runs (the job's end cannot be recorded, nor then the worker's death), and `rq cron` quits at the first
enqueue that fails. Each is started again here once Redis answers. The worker's scheduler (which moves
jobs due later, such as retries, to their queue) dies with every outage and is started again by the
worker's maintenance.
"""

from __future__ import annotations

import logging
import signal
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

log = logging.getLogger(__name__)

REDIS_WAIT_MAX = 10  # seconds between two pings at most, while Redis is away


class Worker(SimpleWorker):
    """RQ's SimpleWorker (jobs run in this process, inside the command's app context), which waits for a
    job no longer than its maintenance interval and remembers being asked to stop.

    RQ runs its maintenance only between two waits for a job, and an idle worker waits 405 s: its
    scheduler, dead since Redis went away, came back up to seven minutes after Redis whatever the interval.
    """

    stop_requested = False

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def request_stop(self, signum, frame) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


def run_worker(queue: Queue, maintenance_interval: int, burst: bool = False) -> None:
    """Work on `queue` until asked to stop (or, in a burst, until it is empty), through Redis outages."""
    while True:
        worker = Worker([queue], connection=queue.connection, maintenance_interval=maintenance_interval)
        try:
            worker.work(burst=burst, with_scheduler=True)
        except RedisError as exc:  # its death could not be recorded
            log.warning("worker %s: Redis went away as it stopped: %s", worker.name, exc)
        if burst or worker.stop_requested:
            return
        if worker.pubsub_thread is not None:  # left running when Redis was away to unsubscribe it
            worker.pubsub_thread.stop()
        log.warning("worker %s quit on its own (Redis away?): another starts once Redis answers", worker.name)
        _restore_signals()  # the worker's handlers would stop a worker that is gone: a signal now just ends
        wait_for_redis(queue.connection)


def run_cron(connection: Redis, config: str = "agency.cron") -> None:
    """Enqueue the periodic jobs `config` registers on their intervals until asked to stop, through Redis
    outages: what `rq cron` does, but a job due while Redis is away is enqueued once it is back."""
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file(config)
    try:
        while True:
            try:
                scheduler.start()  # returns once asked to stop
                return
            except RedisError as exc:
                log.warning("cron: Redis is away (%s): enqueueing again once it answers", exc)
            wait_for_redis(connection)
    except StopRequested:  # a signal while waiting for Redis (start() installed the handlers)
        log.info("cron: stopped")


def wait_for_redis(connection: Redis) -> None:
    """Return once Redis answers, pinging it at growing intervals."""
    pause = 1.0
    while True:
        time.sleep(pause)
        try:
            connection.ping()
            return
        except RedisError:
            pause = min(pause * 2, REDIS_WAIT_MAX)


def _restore_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
