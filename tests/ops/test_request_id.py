"""Every request has an id: the caller's when it is safe, a new one otherwise; in the response, the logs, its jobs."""

from __future__ import annotations

import logging
import re

import pytest
from rq import get_current_job

from agency import jobs, request_id
from agency.jobs import job

SEEN: list[str | None] = []


@job
def remember_request_id() -> None:
    """A job that notes the request id it runs under (a worker's log lines carry the same)."""
    SEEN.append(request_id.current())
    logging.getLogger("tests.ops").warning("job ran for %s", get_current_job().id)


def test_a_safe_request_id_is_kept_and_returned(client):
    response = client.get("/login", headers={"X-Request-ID": "lb-7f3a.2026:01"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2026:01"


@pytest.mark.parametrize("given", [None, "", "a b", "id\tforged log line", "id;drop", "x" * 101, "<script>", "-starts-with-dash"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    headers = {"X-Request-ID": given} if given is not None else {}
    response = client.get("/login", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert response.headers["X-Request-ID"] != given


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/login"), client.get("/login")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_log_lines_written_during_a_request_carry_its_id(client, app, caplog, monkeypatch, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(not_a_folder))  # the check's warning is logged
    with caplog.at_level(logging.WARNING):
        client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    lines = [r for r in caplog.records if r.request_id == "trace-42"]
    assert lines, [(r.getMessage(), r.request_id) for r in caplog.records]
    assert "trace-42" in logging.Formatter(request_id.LOG_FORMAT).format(lines[0])
    # Outside a request the field is there too, so a format naming it never fails.
    logging.getLogger("tests.ops").warning("outside")
    assert caplog.records[-1].request_id == "-"


def test_a_job_enqueued_during_a_request_runs_with_its_id(app, run_jobs, caplog):
    SEEN.clear()
    with caplog.at_level(logging.WARNING):
        with app.test_request_context(headers={"X-Request-ID": "req-for-job"}):
            app.preprocess_request()  # the request's hooks: its id is set
            jobs.enqueue(remember_request_id)  # embedded mode: it runs now, inside the request
        assert request_id.current() is None  # the request is over
        run_jobs()  # real mode: a worker runs it from Redis, the id carried in the job's meta
    assert SEEN == ["req-for-job"]
    assert [r.request_id for r in caplog.records if r.getMessage().startswith("job ran")] == ["req-for-job"]
