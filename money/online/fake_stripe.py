"""A local stand-in for Stripe Checkout, spoken to over HTTP by the real `stripe` library.

It serves the few API calls we make (create, read and expire a Checkout session; read a PaymentIntent with
its charge's balance transaction) and a payment page per session whose "Pay" and "Decline" buttons do what
Stripe does: a paid session sends `checkout.session.completed`, a declined card `payment_intent.payment_failed`
(the session stays open), an expired session `checkout.session.expired`. Each event is signed as Stripe signs
them (`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the endpoint secret>`) and either
POSTed to `webhook_url` (embedded mode; failed deliveries are tried again a few times, as Stripe does) or kept
in `outbox` for a test or a benchmark to deliver when it chooses (twice, late, never).

Used by embedded mode (money/online/embedded.py), the tests and the benchmark; it imports nothing of ours.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

FEE_BP, FEE_FIXED_CENTS = 150, 25  # Stripe's price for standard European cards: 1.5 % + €0.25
RETRY_DELAYS = (1, 5, 30)


@dataclass
class Delivery:
    """One webhook delivery: the exact body and its signature header (keep both to deliver it again)."""

    event: dict
    payload: bytes
    signature: str


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return the `Stripe-Signature` header Stripe would send for `payload` at `timestamp` (default: now)."""
    moment = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={mac}"


class FakeStripe:
    """The server and its objects; `webhook_url=None` keeps events in `outbox` instead of POSTing them."""

    def __init__(self, *, api_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake",
                 webhook_url: str | None = None, port: int = 0) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.lock = threading.RLock()
        self.objects: dict[str, dict] = {}  # every session, intent, charge, balance transaction by id
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.outbox: list[Delivery] = []
        self.delivered: list[tuple[Delivery, int]] = []  # (delivery, HTTP status or 0 when unreachable)
        self.failing_creates = 0  # the next creations answered 500, as during an outage
        self.requests: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-stripe", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a debtor does on the payment page ------------------------------------------------------

    def pay(self, session_id: str) -> dict:
        """Pay an open session by card: intent, charge and fee, then `checkout.session.completed`."""
        with self.lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            charge_id, txn_id = _id("ch"), _id("txn")
            amount = session["amount_total"]
            fee = (amount * FEE_BP + 5000) // 10000 + FEE_FIXED_CENTS
            self.objects[txn_id] = {"id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
                                    "net": amount - fee, "currency": session["currency"], "type": "charge"}
            self.objects[charge_id] = {"id": charge_id, "object": "charge", "amount": amount, "paid": True,
                                       "currency": session["currency"], "payment_intent": intent["id"],
                                       "balance_transaction": txn_id, "status": "succeeded"}
            intent.update(status="succeeded", latest_charge=charge_id, last_payment_error=None)
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            delivery = self._event("checkout.session.completed", session)
        self._send(delivery)
        return session

    def decline(self, session_id: str) -> dict:
        """Decline the card: `payment_intent.payment_failed`; the session stays open for another card."""
        with self.lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            intent.update(status="requires_payment_method", last_payment_error={
                "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."})
            delivery = self._event("payment_intent.payment_failed", intent)
        self._send(delivery)
        return session

    def expire(self, session_id: str) -> dict:
        """Close an open session unpaid: `checkout.session.expired`."""
        with self.lock:
            session = self._open_session(session_id)
            session.update(status="expired")
            delivery = self._event("checkout.session.expired", session)
        self._send(delivery)
        return session

    def session(self, session_id: str) -> dict:
        with self.lock:
            return dict(self.objects[session_id])

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        return sign(payload, secret or self.webhook_secret, timestamp)

    # --- internals --------------------------------------------------------------------------------------

    def _open_session(self, session_id: str) -> dict:
        session = self.objects.get(session_id)
        if session is None or session.get("object") != "checkout.session":
            raise KeyError(session_id)
        if session["status"] != "open":
            raise ValueError(f"session {session_id} is {session['status']}")
        return session

    def _intent_for(self, session: dict) -> dict:
        if session.get("payment_intent"):
            return self.objects[session["payment_intent"]]
        intent_id = _id("pi")
        intent = {"id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                  "currency": session["currency"], "status": "requires_payment_method", "latest_charge": None,
                  "metadata": dict(session.get("_intent_metadata") or {}), "last_payment_error": None}
        self.objects[intent_id] = intent
        session["payment_intent"] = intent_id
        return intent

    def _event(self, kind: str, obj: dict) -> Delivery:
        event = {"id": _id("evt"), "object": "event", "api_version": "2025-01-01", "created": int(time.time()),
                 "type": kind, "livemode": False, "pending_webhooks": 1,
                 "data": {"object": _public(obj)}, "request": {"id": None, "idempotency_key": None}}
        payload = json.dumps(event).encode()
        return Delivery(event, payload, self.sign(payload))

    def _send(self, delivery: Delivery) -> None:
        if self.webhook_url is None:
            with self.lock:
                self.outbox.append(delivery)
            return
        if not self.post(delivery):
            threading.Thread(target=self._retry, args=(delivery,), daemon=True).start()

    def post(self, delivery: Delivery, url: str | None = None) -> bool:
        """POST one delivery to the webhook URL (re-signed now, as each of Stripe's attempts is); tell if taken."""
        payload = delivery.payload
        request = urllib.request.Request(url or self.webhook_url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.sign(payload)})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self.lock:
            self.delivered.append((delivery, status))
        return 200 <= status < 300

    def _retry(self, delivery: Delivery) -> None:
        for delay in RETRY_DELAYS:
            time.sleep(delay)
            if self.post(delivery):
                return

    def _create_session(self, form: dict) -> tuple[int, dict]:
        items = form.get("line_items") or []
        try:
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
            currency = items[0]["price_data"]["currency"]
        except (KeyError, IndexError, TypeError, ValueError):
            return 400, _error("Missing line_items[0][price_data].")
        if amount <= 0 or not form.get("success_url") or not form.get("cancel_url"):
            return 400, _error("An amount, a success_url and a cancel_url are required.")
        now = int(time.time())
        expires_at = int(form.get("expires_at") or now + 86400)
        if not now + 1800 - 60 <= expires_at <= now + 86400 + 60:
            return 400, _error("expires_at must be between 30 minutes and 24 hours from now.", "expires_at")
        session_id = _id("cs_test")
        session = {
            "id": session_id, "object": "checkout.session", "url": f"{self.url}/c/pay/{session_id}",
            "mode": form.get("mode", "payment"), "status": "open", "payment_status": "unpaid",
            "amount_total": amount, "currency": currency, "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata") or {}, "payment_intent": None, "customer_email": form.get("customer_email"),
            "success_url": form["success_url"], "cancel_url": form["cancel_url"], "expires_at": expires_at,
            "created": now, "livemode": False, "locale": form.get("locale"),
            "_intent_metadata": (form.get("payment_intent_data") or {}).get("metadata") or {},
        }
        self.objects[session_id] = session
        return 200, _public(session)

    def _api(self, method: str, path: str, form: dict, headers) -> tuple[int, dict]:
        if headers.get("Authorization", "") != f"Bearer {self.api_key}":
            return 401, _error("Invalid API Key provided.")
        key = headers.get("Idempotency-Key")
        with self.lock:
            self.requests.append((method, path))
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            if method == "POST" and path == "/v1/checkout/sessions":
                if self.failing_creates > 0:
                    self.failing_creates -= 1
                    return 500, {"error": {"type": "api_error", "message": "Something went wrong."}}
                answer = self._create_session(form)
            elif m := re.fullmatch(r"/v1/checkout/sessions/([\w]+)(/expire)?", path):
                answer = self._session_call(method, m.group(1), bool(m.group(2)))
            elif method == "GET" and (m := re.fullmatch(r"/v1/payment_intents/(\w+)", path)):
                answer = self._intent_call(m.group(1), form.get("expand") or [])
            else:
                answer = 404, _error(f"Unrecognized request URL ({method}: {path}).")
            if method == "POST" and key:
                self.idempotent[key] = answer
        return answer

    def _session_call(self, method: str, session_id: str, expire: bool) -> tuple[int, dict]:
        session = self.objects.get(session_id)
        if session is None or session.get("object") != "checkout.session":
            return 404, _error(f"No such checkout.session: '{session_id}'", "session")
        if method == "POST" and expire:
            if session["status"] != "open":
                return 400, _error(f"Only Checkout Sessions with a status in [open] can be expired. This Checkout "
                                   f"Session has a status of {session['status']}.")
            # The event goes out after the answer, from another thread, as Stripe's would.
            threading.Thread(target=self.expire, args=(session_id,), daemon=True).start()
            return 200, {**_public(session), "status": "expired"}
        return 200, _public(session)

    def _intent_call(self, intent_id: str, expand: list) -> tuple[int, dict]:
        intent = self.objects.get(intent_id)
        if intent is None or intent.get("object") != "payment_intent":
            return 404, _error(f"No such payment_intent: '{intent_id}'", "intent")
        answer = dict(intent)
        if "latest_charge" in " ".join(expand) and intent.get("latest_charge"):
            charge = dict(self.objects[intent["latest_charge"]])
            if "balance_transaction" in " ".join(expand):
                charge["balance_transaction"] = dict(self.objects[charge["balance_transaction"]])
            answer["latest_charge"] = charge
        return 200, answer

    def _page(self, session: dict, note: str = "") -> str:
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        e = html.escape
        if session["status"] != "open":
            body = f"<p>This payment page is {e(session['status'])}.</p>"
        else:
            body = (f"<form method='post'><button name='action' value='pay'>Pay {e(amount)}</button> "
                    f"<button name='action' value='decline'>Decline the card</button></form>"
                    f"<p><a href='{e(session['cancel_url'])}'>Back</a></p>")
        return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Test payment</title>"
                f"<meta name='viewport' content='width=device-width'></head><body>"
                f"<h1>Test payment page</h1><p>A local stand-in for Stripe Checkout: no money moves.</p>"
                f"<p>Amount: <strong>{e(amount)}</strong></p><p>{e(note)}</p>{body}</body></html>")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 (http.server's naming)
                parsed = urlparse(self.path)
                if m := re.fullmatch(r"/c/pay/(\w+)", parsed.path):
                    with fake.lock:
                        session = fake.objects.get(m.group(1))
                        page = fake._page(session) if session else None
                    return self._html(200, page) if page else self._html(404, "<p>No such page.</p>")
                self._json(*fake._api("GET", parsed.path, _nested(parse_qsl(parsed.query)), self.headers))

            def do_POST(self):  # noqa: N802
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length", 0))
                form = _nested(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if m := re.fullmatch(r"/c/pay/(\w+)", parsed.path):
                    return self._pay_page(m.group(1), form.get("action", ""))
                self._json(*fake._api("POST", parsed.path, form, self.headers))

            def _pay_page(self, session_id: str, action: str) -> None:
                try:
                    if action == "pay":
                        session = fake.pay(session_id)
                        target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                        self.send_response(303)
                        self.send_header("Location", target)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    if action == "decline":
                        session = fake.decline(session_id)
                        return self._html(402, fake._page(session, "Your card was declined."))
                except KeyError:
                    return self._html(404, "<p>No such page.</p>")
                except ValueError as exc:
                    return self._html(409, f"<p>{html.escape(str(exc))}</p>")
                return self._html(400, "<p>Unknown action.</p>")

            def _html(self, status: int, page: str) -> None:
                self._send(status, page.encode(), "text/html; charset=utf-8")

            def _json(self, status: int, payload: dict) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", _id("req"))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _error(message: str, param: str = "") -> dict:
    return {"error": {"type": "invalid_request_error", "message": message, "param": param or None}}


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """Rebuild Stripe's form encoding (`line_items[0][price_data][unit_amount]=…`) into dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node
