"""SMS go to the local outbox without Twilio credentials, through the real twilio library with them."""

from __future__ import annotations

import json
import threading
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from agency.models import SmsMessage
from agency.sms import send_sms


def test_without_twilio_messages_stay_in_the_outbox_and_are_listed(client, db_session, login_as):
    message = send_sms("+33612345678", "Votre dossier D26-000001 : merci de nous rappeler.")
    db_session.commit()
    assert message.status == "outbox" and message.provider_sid is None
    login_as("collector")
    page = client.get("/outbox").get_data(as_text=True)
    assert "+33612345678" in page and "D26-000001" in page


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers the Messages API like Twilio does, remembering each request."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        user, _, password = b64decode(self.headers["Authorization"].split()[1]).decode().partition(":")
        FakeTwilio.requests.append({"path": self.path, "form": body, "user": user, "password": password})
        status, payload = (
            201,
            {"sid": "SM" + "a" * 32, "status": "queued", "to": body["To"][0], "body": body["Body"][0]},
        )
        if body["To"][0] == "+33600000000":
            status, payload = (
                400,
                {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
            )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.requests.clear()
    saved = {
        k: app.config[k]
        for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_API_BASE")
    }
    app.config.update(
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_FROM="+33700000001",
        TWILIO_API_BASE=f"http://127.0.0.1:{server.server_port}",
    )
    yield FakeTwilio.requests
    app.config.update(saved)
    server.shutdown()


def test_with_twilio_the_library_sends_and_records_the_sid(app, db_session, fake_twilio):
    message = send_sms("+33612345678", "Bonjour")
    assert message.status == "queued" and message.provider_sid == "SM" + "a" * 32
    request = fake_twilio[0]
    assert request["path"] == f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    assert request["form"] == {"To": ["+33612345678"], "From": ["+33700000001"], "Body": ["Bonjour"]}
    assert (request["user"], request["password"]) == ("AC" + "1" * 32, "secret-token")


def test_a_twilio_refusal_is_recorded_not_lost(app, db_session, fake_twilio):
    message = send_sms("+33600000000", "Bonjour")
    db_session.flush()
    assert message.status == "failed" and "21211" in message.error
    assert db_session.get(SmsMessage, message.id) is not None
