"""/metrics: request and job figures for Prometheus, for allowed callers only."""

from __future__ import annotations

import re

from agency import jobs
from agency.jobs import heartbeat


def sample(text: str, name: str, **labels: str) -> float:
    """Return the value of one series of the exposition text (0 when it is not there yet)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_metrics_count_a_request_and_its_duration(client):
    before = scrape(client)
    assert client.get("/login").status_code == 200
    after = scrape(client)
    labels = {"method": "GET", "endpoint": "agency.login", "status": "200"}
    assert sample(after, "amiable_http_requests_total", **labels) == sample(before, "amiable_http_requests_total",
                                                                          **labels) + 1
    count = "amiable_http_request_duration_seconds_count"
    assert sample(after, count, method="GET", endpoint="agency.login") == sample(
        before, count, method="GET", endpoint="agency.login") + 1


def test_metrics_name_a_path_no_route_has_by_one_label_not_by_the_path(client):
    client.get("/no-such-page/4242")
    text = scrape(client)
    assert sample(text, "amiable_http_requests_total", endpoint="unmatched", status="404") >= 1
    # Not a digit string, which a series' timestamp may hold by chance: a word only the path has.
    assert "no-such-page" not in text


def test_metrics_count_a_job_and_its_duration(client, run_jobs):
    before = scrape(client)
    jobs.enqueue(heartbeat)
    run_jobs()
    after = scrape(client)
    name = "agency.jobs.heartbeat"
    assert sample(after, "amiable_jobs_total", job=name, outcome="done") == sample(
        before, "amiable_jobs_total", job=name, outcome="done") + 1
    assert sample(after, "amiable_job_duration_seconds_count", job=name) == sample(
        before, "amiable_job_duration_seconds_count", job=name) + 1


def test_metrics_refuse_a_caller_from_another_address(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 403
    assert "amiable_" not in response.get_data(as_text=True)


def test_metrics_accept_an_allowed_network_or_the_token(client, app, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "127.0.0.1, 203.0.113.0/24")
    assert client.get("/metrics", environ_base=outside).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "127.0.0.1")
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-me-7c1f")
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer scrape-me-7c1f"}).status_code == 200
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base=outside).status_code == 403


def test_no_token_means_no_token_access(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                          headers={"Authorization": "Bearer "})
    assert response.status_code == 403
