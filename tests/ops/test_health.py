"""/healthz: what a load balancer asks, with no sign-in and nothing secret in the answer."""

from __future__ import annotations

import socket

from app import create_app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_healthz_answers_200_when_everything_answers(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    expected_redis = "ok" if app.config["REDIS_URL"] else "not configured"
    assert body == {"status": "ok", "checks": {"database": "ok", "redis": expected_redis, "storage": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_redis_does_not_answer(app, tmp_path):
    redis_url = f"redis://127.0.0.1:{closed_port()}/0"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "REDIS_URL": redis_url, "DOCUMENTS_DIR": str(tmp_path / "documents")})
    response = other.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {"status": "unavailable",
                    "checks": {"database": "ok", "redis": "unavailable", "storage": "ok"}}
    # Nothing of the setup leaks: neither the address nor the reason.
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert "refused" not in response.get_data(as_text=True).lower()


def test_healthz_answers_503_when_the_documents_folder_cannot_be_written(client, app, monkeypatch, tmp_path):
    not_a_folder = tmp_path / "documents"
    not_a_folder.write_text("a file where the folder should be")
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(not_a_folder))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "unavailable"
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_healthz_counts_a_documents_folder_not_yet_made_as_writable(client, app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "not" / "yet"))
    assert client.get("/healthz").get_json()["checks"]["storage"] == "ok"
