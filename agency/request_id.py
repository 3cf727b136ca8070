"""One id per request, on every log line written while it is served and in the `X-Request-ID` response header.

A proxy or a load balancer that already gave the request an id sends it in `X-Request-ID`, and it is kept, so
that its logs and ours tell the same story; an id that is not a short plain token (it would go into log lines
verbatim) is replaced by a new one. Jobs enqueued from the request carry the id too (agency.jobs), so the
worker's lines about them can be found from the request that asked for them.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from flask import Flask, Response, g, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as UUIDs, AWS's and Heroku's ids are: nothing that could forge a log
# line (a newline) or smuggle markup into a page that shows logs.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
QUIET_LIBRARIES = ("weasyprint", "fontTools")

_current: ContextVar[str | None] = ContextVar("amiable_request_id", default=None)
_factory_installed = False


def current() -> str | None:
    """Return the id of the request (or of the request that enqueued the running job), if any."""
    return _current.get()


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Make `request_id` the current one for the block (a job run for a request)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def accept_or_new(given: str | None) -> str:
    """Return `given` when it is a safe id, otherwise a new random one."""
    if given and SAFE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    """Give each request its id, every log record a `request_id`, and the platform's logs a format that shows it.

    Registered before every other hook, so a request another hook refuses still gets its id.
    """
    install_record_factory()
    configure_logging(app)
    app.before_request(_start)
    app.after_request(_answer)
    app.teardown_request(_end)


def install_record_factory() -> None:
    """Add `request_id` ("-" outside a request and a job) to every log record of the process, whoever logs it."""
    global _factory_installed
    if _factory_installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.request_id = _current.get() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def configure_logging(app: Flask) -> None:
    """Log to stderr with the request id, unless the process already set up its logging (tests, a logconfig)."""
    formatter = logging.Formatter(LOG_FORMAT)
    default_handler.setFormatter(formatter)  # Flask's own handler of app.logger, when it uses it
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        root.addHandler(handler)
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        for chatty in QUIET_LIBRARIES:  # a line per step of every PDF, at INFO
            logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))


def _start() -> None:
    g.request_id = accept_or_new(request.headers.get(HEADER))
    g.request_id_token = _current.set(g.request_id)


def _answer(response: Response) -> Response:
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        # A streamed response ends in its generator's context, where the id was never set: nothing to undo.
        with suppress(ValueError):
            _current.reset(token)
