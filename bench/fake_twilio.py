"""A local stand-in for Twilio's Messages API, for the faults benchmark: it accepts messages, lists them,
and answers a share of the sends with a 500 before accepting anything (as a Twilio outage would).

It counts what it accepted per message body, so that the benchmark can tell a message accepted twice
(a duplicate) from one never accepted (lost, unless the platform marked it failed).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeTwilio:
    """The server and what it saw; `error_share` of the sends answer 500 (drawn from a fixed seed)."""

    def __init__(self, error_share: float, seed: int = 20261206) -> None:
        self.error_share = error_share
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # body → times accepted
        self.by_number: dict[str, list[dict]] = {}
        self.errors = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    if fake.random.random() < fake.error_share:
                        fake.errors += 1
                        return self._json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                    message = {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form["To"],
                               "from": form["From"], "body": form["Body"],
                               "date_created": format_datetime(datetime.now(UTC), usegmt=True)}
                    fake.accepted[form["Body"]] += 1
                    fake.by_number.setdefault(form["To"], []).append(message)
                return self._json(201, message)

            def do_GET(self):  # noqa: N802
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                with fake.lock:
                    found = [m for m in fake.by_number.get(query.get("To", ""), []) if m["from"] == query.get("From", m["from"])]
                return self._json(200, {"messages": list(reversed(found)), "page": 0, "page_size": 50,
                                        "start": 0, "end": len(found), "next_page_uri": None,
                                        "uri": urlparse(self.path).path})

            def _json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
