"""SMS go to the local outbox without Twilio credentials, through the real twilio library with them.

`fake_twilio` is a local HTTP server answering the Messages API as Twilio does (create and list), which
a test can make answer 500 or 429, hang, or hold a request until it is released.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from base64 import b64decode
from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from agency.message_models import SmsMessage
from agency.sms import SmsRefused, SmsUnavailable, create_message, find_message, store_sms

INVALID_NUMBER = "+33600000000"


class TwilioLog(list):
    """The create requests the fake received (a list, as tests read it), and what it does next.

    `answers` are the next create requests' answers, in order (201 once they run out): "500" and "429"
    create nothing; "500-accepted" creates the message and answers 500; "hang" creates it and answers
    only after `hang_for` seconds; "hang-before" waits as long and creates nothing; "block" creates it
    and answers once `release` is set. `accepted` holds the messages created, `on_accept` is called
    with each before it is answered, `arrived` is set when a request arrives.
    """

    def __init__(self) -> None:
        super().__init__()
        self.answers: deque[str] = deque()
        self.accepted: list[dict] = []
        self.lists = 0
        self.hang_for = 3.0
        self.on_accept = None
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.base_url = ""


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers the Messages API like Twilio does, remembering each request in `log`."""

    log: TwilioLog

    def do_POST(self):  # noqa: N802 (http.server's naming)
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        user, _, password = b64decode(self.headers["Authorization"].split()[1]).decode().partition(":")
        log = self.log
        log.append({"path": self.path, "form": form, "user": user, "password": password})
        answer = log.answers.popleft() if log.answers else "201"
        log.arrived.set()
        if form["To"][0] == INVALID_NUMBER:
            return self._json(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.",
                                    "status": 400})
        if answer in ("500", "429"):
            return self._json(int(answer), {"code": 20000 + int(answer), "message": "Unavailable", "status": 500})
        if answer == "hang-before":
            time.sleep(log.hang_for)
            return self._json(500, {"code": 20500, "message": "too late", "status": 500})
        message = self._accept(form)
        if answer == "hang":
            time.sleep(log.hang_for)
        elif answer == "block":
            log.release.wait(30)
        status = 500 if answer == "500-accepted" else 201
        return self._json(status, message if status == 201 else {"code": 20500, "message": "Internal", "status": 500})

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.log.lists += 1
        found = [m for m in reversed(self.log.accepted)
                 if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])]
        self._json(200, {"messages": found, "next_page_uri": None, "previous_page_uri": None, "page": 0,
                         "page_size": int(query.get("PageSize", 50)), "start": 0, "end": len(found),
                         "uri": self.path, "first_page_uri": self.path})

    def _accept(self, form: dict) -> dict:
        message = {
            "sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form["To"][0], "from": form["From"][0],
            "body": form["Body"][0], "date_created": format_datetime(datetime.now(UTC), usegmt=True),
            "direction": "outbound-api", "account_sid": self.log[-1]["user"],
        }
        self.log.accepted.append(message)
        if self.log.on_accept is not None:
            self.log.on_accept(message)
        return message

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (a timeout, a killed worker)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(app):
    log = TwilioLog()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (FakeTwilio,), {"log": log}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log.base_url = f"http://127.0.0.1:{server.server_port}"
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_API_BASE", "TWILIO_READ_TIMEOUT")
    saved = {k: app.config[k] for k in keys}
    app.config.update(
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_FROM="+33700000001",
        TWILIO_API_BASE=log.base_url,
        TWILIO_READ_TIMEOUT=1.0,  # a "hang" lasts longer
    )
    yield log
    log.release.set()
    app.config.update(saved)
    server.shutdown()
    server.server_close()


def test_without_twilio_messages_stay_in_the_outbox_and_are_listed(client, db_session, login_as):
    message = store_sms("+33612345678", "Votre dossier D26-000001 : merci de nous rappeler.")
    db_session.commit()
    assert message.status == "outbox" and message.provider_sid is None
    login_as("collector")
    page = client.get("/outbox").get_data(as_text=True)
    assert "+33612345678" in page and "D26-000001" in page


def test_with_twilio_a_message_is_recorded_as_being_sent_and_nothing_is_called(app, db_session, fake_twilio):
    message = store_sms("+33612345678", "Bonjour")
    assert (message.status, message.from_number) == ("sending", "+33700000001") and fake_twilio == []


def test_the_library_sends_and_returns_the_sid(app, db_session, fake_twilio):
    accepted = create_message("+33612345678", "+33700000001", "Bonjour", "https://example.fr/cb?sms=7")
    [message] = fake_twilio.accepted
    assert (accepted.sid, accepted.status) == (message["sid"], "queued")
    request = fake_twilio[0]
    assert request["path"] == f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    assert request["form"] == {"To": ["+33612345678"], "From": ["+33700000001"], "Body": ["Bonjour"],
                               "StatusCallback": ["https://example.fr/cb?sms=7"]}
    assert (request["user"], request["password"]) == ("AC" + "1" * 32, "secret-token")


def test_a_twilio_refusal_is_final(app, db_session, fake_twilio):
    with pytest.raises(SmsRefused, match="21211"):
        create_message(INVALID_NUMBER, "+33700000001", "Bonjour")


@pytest.mark.parametrize(("answer", "maybe_sent"), [("500", True), ("429", False), ("hang", True)])
def test_no_useful_answer_is_worth_another_attempt(app, db_session, fake_twilio, answer, maybe_sent):
    fake_twilio.answers.append(answer)
    started = time.monotonic()
    with pytest.raises(SmsUnavailable) as raised:
        create_message("+33612345678", "+33700000001", "Bonjour")
    assert raised.value.maybe_sent is maybe_sent
    assert time.monotonic() - started < fake_twilio.hang_for  # the read timeout, not the hang, ended it


def test_a_message_twilio_took_is_found_in_its_list_once(app, db_session, fake_twilio):
    fake_twilio.answers.append("hang")
    with pytest.raises(SmsUnavailable):
        create_message("+33612345678", "+33700000001", "Bonjour Mme Martin")
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = find_message("+33612345678", "+33700000001", "Bonjour Mme Martin", since)
    assert found is not None and found.sid == fake_twilio.accepted[0]["sid"]
    assert find_message("+33612345678", "+33700000001", "Autre texte", since) is None
    assert find_message("+33612345678", "+33700000001", "Bonjour Mme Martin", since + timedelta(hours=1)) is None
    db_session.add(SmsMessage(to_number="+33612345678", body="Bonjour Mme Martin", status="queued",
                              provider_sid=found.sid))
    db_session.flush()
    assert find_message("+33612345678", "+33700000001", "Bonjour Mme Martin", since) is None  # already ours
