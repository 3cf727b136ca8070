"""Whether this process can reach what it needs: the database, Redis (when configured), the document storage.

What a load balancer or an orchestrator asks every few seconds, so each check is one cheap round trip, and the
answer names the checks and their state only: no host, no message, no version (the reason of a failure goes to
the log, with the request id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from agency import storage
from agency.db import db
from agency.jobs import get_queue

log = logging.getLogger(__name__)

OK, FAILED, OFF = "ok", "unavailable", "not configured"


def check_database() -> str:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()  # nothing to keep, and no transaction left open on a pooled connection
    return OK


def check_redis() -> str:
    if not current_app.config["REDIS_URL"]:
        return OFF  # embedded mode: jobs run inline, nothing to reach
    # The queue's own connection, with its short timeouts: a Redis that hangs fails the check in seconds.
    return OK if get_queue().connection.ping() else FAILED


def check_storage() -> str:
    # The storage's own check: the documents folder writable, or the bucket answering (agency.storage).
    return OK if storage.check() else FAILED


CHECKS: dict[str, Callable[[], str]] = {"database": check_database, "redis": check_redis, "storage": check_storage}


def report() -> tuple[dict, bool]:
    """Run every check; return {"status", "checks"} and whether everything needed answered."""
    states = {}
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception:  # any failure of what is checked is the answer, not an error of the check
            log.warning("health check: %s does not answer", name, exc_info=True)
            states[name] = FAILED
        else:
            if states[name] == FAILED:
                log.warning("health check: %s does not answer", name)
    healthy = all(state != FAILED for state in states.values())
    return {"status": OK if healthy else FAILED, "checks": states}, healthy
