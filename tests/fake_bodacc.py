"""A local stand-in for the BODACC open-data API (Opendatasoft's records endpoint), for the watch's tests.

It answers `GET …/records` with the announcements a test loads, filtered as the real API filters them for the
watch's request (`familleavis:"collective"`, `registre like "<SIREN>"`, `dateparution >= date"…"`), ordered by
publication, paged by `limit` and `offset`, with `total_count`. `fail` makes it answer a 500, not JSON, or
nothing in time, for a number of requests (or all of them).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PATH = "/api/explore/v2.1/catalog/datasets/annonces-commerciales/records"


def announcement(siren: str, announcement_id: str, published: str, judgment: str | None = None, *,
                 famille: str = "Jugement d'ouverture",
                 nature: str = "Jugement d'ouverture d'une procédure de redressement judiciaire",
                 court: str = "Tribunal de commerce de Lyon", name: str = "DEBITEUR SARL",
                 registre: object = None) -> dict:
    """Return a record as the API gives it: `registre` in its two spellings, `jugement` as JSON text."""
    spaced = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
    return {
        "id": announcement_id, "dateparution": published, "familleavis": "collective",
        "familleavis_lib": "Procédures collectives", "publicationavis": "A", "tribunal": court,
        "commercant": name, "registre": registre if registre is not None else [spaced, siren],
        "jugement": json.dumps({"type": "initial", "famille": famille, "nature": nature,
                                "date": judgment or published}, ensure_ascii=False),
    }


class FakeBodacc:
    """The server, the records it serves, and the requests it saw."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.requests: list[dict] = []
        self.failures: list[str] = []  # "500", "not_json", "hang": what the next requests get, in turn
        self.always: str = ""  # a failure every request gets
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{PATH}"

    def start(self) -> FakeBodacc:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, params: dict) -> dict:
        """Return the page of records the query asks for."""
        where = params.get("where", "")
        sirens = set(re.findall(r'registre like "(\d{9})"', where))
        since = re.search(r'dateparution >= date"([\d-]+)"', where)
        found = [
            r for r in self.records
            if ('familleavis:"collective"' not in where or r["familleavis"] == "collective")
            and any(_compact(part).startswith(s) for part in _parts(r["registre"]) for s in sirens)
            and (since is None or r["dateparution"] >= since.group(1))
        ]
        found.sort(key=lambda r: (r["dateparution"], r["id"]))
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10))
        return {"total_count": len(found), "results": found[offset:offset + limit]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 (http.server's naming)
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(params)
                failure = fake.always or (fake.failures.pop(0) if fake.failures else "")
                if failure == "hang":
                    fake.release.wait(5)
                    return
                if url.path != PATH or failure == "500":
                    return self._send(500 if failure else 404, b'{"error": "server error"}')
                if failure == "not_json":
                    return self._send(200, b"<html>maintenance</html>", "text/html")
                return self._send(200, json.dumps(fake.answer(params)).encode())

            def _send(self, status: int, body: bytes, kind: str = "application/json; charset=utf-8") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (its read timeout)
                    pass

        return Handler


def _parts(registre: object) -> list[str]:
    return registre if isinstance(registre, list) else str(registre).split(",")


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value)

