"""The client API fuzzed against its own OpenAPI document, with every check schemathesis has.

Requests valid and invalid under the document (wrong types, NUL characters, over-long text, missing and
unknown fields, other media types) go to the real app, authenticated by a real token, inside the
test's rolled-back transaction: no server error, every answer documented (status, content type,
schema), invalid requests refused, valid ones never refused as malformed. The seed is fixed, so the
same requests are sent on any day and any machine.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode

from agency.tokens import issue_token
from tests import factories

CONFIG = {
    "seed": 20260115,
    "generation": {"mode": "all", "max-examples": 100, "deterministic": True,
                   "database": "none"},
    "checks": {
        # A request the document describes may still be refused for what it says, as documented: rows
        # rejected, a file that cannot be read (422). What it may never be is refused as malformed:
        # `not_refused_as_malformed` below.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "409", "422"]},
    },
}


@pytest.fixture
def api_token(db_session) -> str:
    client = factories.client()
    factories.case(client_row=client)
    _row, token = issue_token(client, name="fuzzer", actor=None)
    db_session.commit()
    return token


@pytest.fixture
def api_schema(request, app, api_token, monkeypatch):
    # Hundreds of requests a minute with one token: the rate limit is tested in test_api_rate_limit.
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 1_000_000)
    # Schemathesis' lazy schema reads the test's id from `_nodeid`, where pytest < 9.2 kept it.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


def not_refused_as_malformed(ctx, response, case) -> None:
    """A request valid under the document is never answered `invalid_request`: the document is the truth."""
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE and response.status_code == 422:
        body = response.json()
        assert body.get("error") != "invalid_request", f"the API refused what its document allows: {body}"


@schema.parametrize()
def test_the_api_answers_as_its_document_says(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"},
                           additional_checks=[not_refused_as_malformed])
