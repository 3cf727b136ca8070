"""The client API limits each token's request rate: 429 with Retry-After past the limit, other tokens unaffected.

The clock is stopped inside one window, so the counts never straddle two windows whatever the day.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import fakeredis
import pytest
from redis import Redis

from agency.ratelimit import MemoryCounter, RedisCounter
from agency.tokens import issue_token
from tests import factories

LIMIT = 5
# 20 s into a minute: the window of 60 s ends 40 s later.
AT = datetime(2026, 3, 2, 9, 30, 20, tzinfo=UTC)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def limited(app, monkeypatch, time_machine):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", LIMIT)
    monkeypatch.setitem(app.config, "API_RATE_WINDOW", 60)
    time_machine.move_to(AT, tick=False)
    return app


def test_a_token_past_its_limit_waits_and_another_token_does_not(limited, client, db_session):
    creditor = factories.client()
    case = factories.case(client_row=creditor)
    _row, busy = issue_token(creditor, name="ERP", actor=None)
    _row, other = issue_token(creditor, name="CRM", actor=None)
    db_session.commit()
    url = f"/api/v1/cases/{case.reference}"

    answers = [client.get(url, headers=bearer(busy)) for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "40"  # the seconds left in the window
    assert refused.json["error"] == "rate_limited"
    assert client.post("/api/v1/placements", json={"invoices": []}, headers=bearer(busy)).status_code == 429

    assert client.get(url, headers=bearer(other)).status_code == 200  # another token is counted apart
    assert client.get(url, headers={"Authorization": "Bearer amb_unknown"}).status_code == 401


def test_the_next_window_lets_the_token_in_again(limited, client, db_session, time_machine):
    creditor = factories.client()
    case = factories.case(client_row=creditor)
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    url = f"/api/v1/cases/{case.reference}"
    for _ in range(LIMIT):
        assert client.get(url, headers=bearer(token)).status_code == 200
    assert client.get(url, headers=bearer(token)).status_code == 429
    time_machine.move_to(datetime(2026, 3, 2, 9, 31, 0, tzinfo=UTC), tick=False)
    assert client.get(url, headers=bearer(token)).status_code == 200


def test_no_limit_when_it_is_zero(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 0)
    creditor = factories.client()
    case = factories.case(client_row=creditor)
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    for _ in range(20):
        assert client.get(f"/api/v1/cases/{case.reference}", headers=bearer(token)).status_code == 200


def _redis_connections() -> list:
    """Two connections to one Redis: a shared fake one, and the real one when REDIS_URL is set."""
    server = fakeredis.FakeServer()
    pairs = [(fakeredis.FakeStrictRedis(server=server), fakeredis.FakeStrictRedis(server=server))]
    if url := os.environ.get("REDIS_URL"):
        pairs.append((Redis.from_url(url), Redis.from_url(url)))
    return pairs


@pytest.mark.parametrize("first, second", _redis_connections())
def test_with_redis_the_count_is_shared_by_every_process(first, second):
    key = f"test-{os.getpid()}-{id(first)}"
    one, two = RedisCounter(first), RedisCounter(second)  # as two web processes would hold them
    assert [one.increment(key, 7, 60), two.increment(key, 7, 60), one.increment(key, 7, 60)] == [1, 2, 3]
    assert two.increment(key, 8, 60) == 1  # the next window starts again
    assert 0 < first.ttl(f"amiable:rate:{key}:7") <= 120  # a window's count does not outlive it for long


def test_in_memory_counts_per_key_and_window():
    counter = MemoryCounter()
    assert [counter.increment("a", 1, 60) for _ in range(3)] == [1, 2, 3]
    assert counter.increment("b", 1, 60) == 1
    assert counter.increment("a", 2, 60) == 1
