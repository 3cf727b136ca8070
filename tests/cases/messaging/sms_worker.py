"""A worker process for the crash tests: `python -m tests.cases.messaging.sms_worker QUEUE [--burst]`.

It runs `flask agency worker` on the app the environment describes (DATABASE_URL, REDIS_URL, TWILIO_*),
listening on the queue the test named, so that it never takes another test's jobs, nor they its.
"""

from __future__ import annotations

import sys

from flask.cli import ScriptInfo
from redis import Redis
from rq import Queue


def main(queue_name: str, args: list[str]) -> None:
    from agency.cli import worker_command
    from app import create_app

    app = create_app()
    app.extensions["amiable.queue"] = Queue(queue_name, connection=Redis.from_url(app.config["REDIS_URL"]))
    worker_command.main(args=args, obj=ScriptInfo(create_app=lambda: app), standalone_mode=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
