"""E-mails go to the local outbox without SMTP_HOST, through a real SMTP server (aiosmtpd) with it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from agency.config import Config
from agency.mail import send_email
from agency.message_models import EmailMessage
from agency.models import AgencyProfile

SMTP_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "SMTP_CA_FILE", "SMTP_FROM")


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses recipients at refused.example.com."""

    def __init__(self) -> None:
        self.envelopes = []
        self.logins: list[tuple[str, str]] = []

    @property
    def messages(self):
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's naming)
        if address.endswith("@refused.example.com"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"mail-secret", handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_smtp(app, inbox: Inbox, *, config: dict | None = None, **controller_options):
    """Start aiosmtpd on a free port and point the app at it; return (controller, saved config)."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    saved = {k: app.config[k] for k in SMTP_KEYS}
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "", "SMTP_USER": "",
                "SMTP_PASSWORD": "", "SMTP_CA_FILE": "", "SMTP_FROM": "relances@agence.example.fr"}
    app.config.update(settings | (config or {}))
    return controller, saved


@pytest.fixture
def smtp_server(app):
    """A plain local SMTP server the app sends to; yields its inbox."""
    inbox = Inbox()
    controller, saved = serve_smtp(app, inbox)
    yield inbox
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_without_smtp_the_email_stays_in_the_outbox_and_is_listed(app, client, db_session, login_as):
    assert not app.config["SMTP_HOST"]
    row = send_email("jeanne@example.com", "Votre dossier D26-000001", "Bonjour,\nmerci de nous rappeler.")
    db_session.commit()
    assert row.status == "outbox" and row.message_id.startswith("<") and row.error == ""
    login_as("collector")
    page = client.get("/outbox").get_data(as_text=True)
    assert "jeanne@example.com" in page and "Votre dossier D26-000001" in page
    assert "merci de nous rappeler" in page


def test_smtp_delivers_headers_and_body_as_written(app, db_session, smtp_server):
    db_session.add(AgencyProfile(id=1, name="Cabinet Recouvre & Fils"))
    row = send_email(
        "jeanne@example.com",
        "Dossier D26-000001 : 123,45 € restant dû",
        "Bonjour Jeanne,\nLe solde est de 123,45 €.\n--\nDésinscription : https://x.example/u/1",
        reply_to="contact@agence.example.fr",
        headers={"List-Unsubscribe": "<https://x.example/u/1>"},
    )
    db_session.flush()
    assert row.status == "sent" and row.updated_at is not None
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "relances@agence.example.fr" and envelope.rcpt_tos == ["jeanne@example.com"]
    [received] = smtp_server.messages
    assert received["Subject"] == "Dossier D26-000001 : 123,45 € restant dû"
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Cabinet Recouvre & Fils", "relances@agence.example.fr")
    assert received["To"] == "jeanne@example.com"
    assert received["Reply-To"] == "contact@agence.example.fr"
    assert received["List-Unsubscribe"] == "<https://x.example/u/1>"
    assert received["Message-ID"] == row.message_id and row.message_id.endswith("@agence.example.fr>")
    assert received["Date"] is not None and received.get_content_type() == "text/plain"
    body = received.get_content()
    assert "Le solde est de 123,45 €." in body and "Désinscription : https://x.example/u/1" in body
    assert db_session.get(EmailMessage, row.id).subject == "Dossier D26-000001 : 123,45 € restant dû"


def test_a_line_break_in_the_subject_cannot_add_a_header(app, db_session, smtp_server):
    send_email("jeanne@example.com", "Relance\r\nBcc: victim@example.com", "Bonjour")
    [received] = smtp_server.messages
    assert received["Bcc"] is None and received["Subject"] == "Relance Bcc: victim@example.com"
    assert smtp_server.envelopes[0].rcpt_tos == ["jeanne@example.com"]


def test_a_refused_recipient_is_recorded_as_failed_not_raised(app, db_session, smtp_server):
    row = send_email("nobody@refused.example.com", "Relance", "Bonjour")
    db_session.flush()
    assert row.status == "failed" and row.error.startswith("550") and "No such mailbox" in row.error
    assert smtp_server.envelopes == []


def test_an_unreachable_server_is_recorded_as_failed(app, db_session):
    saved = {k: app.config[k] for k in SMTP_KEYS}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="")
    try:
        row = send_email("jeanne@example.com", "Relance", "Bonjour")
    finally:
        app.config.update(saved)
    assert row.status == "failed" and "ConnectionRefusedError" in row.error


def test_a_server_that_never_answers_fails_after_the_timeout(app, db_session):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts the connection, never says hello
    saved = {k: app.config[k] for k in (*SMTP_KEYS, "SMTP_TIMEOUT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=silent.getsockname()[1], SMTP_SECURITY="", SMTP_TIMEOUT=1)
    started = time.monotonic()
    try:
        row = send_email("jeanne@example.com", "Relance", "Bonjour")
    finally:
        app.config.update(saved)
        silent.close()
    assert row.status == "failed" and "timed out" in row.error and time.monotonic() - started < 5


def test_starttls_with_login_against_a_private_authority(app, db_session, tls_files):
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller, saved = serve_smtp(
        app, inbox, config={"SMTP_SECURITY": "starttls", "SMTP_CA_FILE": str(cert), "SMTP_USER": "relances",
                            "SMTP_PASSWORD": "mail-secret"},
        tls_context=server_tls, require_starttls=True, authenticator=inbox.authenticate, auth_require_tls=True,
    )
    try:
        row = send_email("jeanne@example.com", "Relance", "Bonjour")
        app.config.update(SMTP_PASSWORD="wrong")
        refused = send_email("jeanne@example.com", "Relance", "Bonjour")
    finally:
        app.config.update(saved)
        controller.stop()
    assert row.status == "sent" and len(inbox.envelopes) == 1
    assert inbox.logins[0] == ("relances", "mail-secret")
    assert refused.status == "failed" and refused.error.startswith("535")


def test_smtp_security_is_checked_and_sets_the_default_port(monkeypatch):
    monkeypatch.setenv("SMTP_SECURITY", "ssl")
    monkeypatch.delenv("SMTP_PORT", raising=False)
    assert Config().SMTP_PORT == 465
    monkeypatch.setenv("SMTP_SECURITY", "STARTTLS")
    assert (Config().SMTP_SECURITY, Config().SMTP_PORT) == ("starttls", 587)
    monkeypatch.setenv("SMTP_SECURITY", "tls-please")
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        Config()


def test_implicit_tls_from_the_first_byte(app, db_session, tls_files):
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller, saved = serve_smtp(app, inbox, config={"SMTP_SECURITY": "ssl", "SMTP_CA_FILE": str(cert)},
                                   ssl_context=server_tls)
    try:
        row = send_email("jeanne@example.com", "Relance", "Bonjour")
        app.config.update(SMTP_CA_FILE="")  # the self-signed certificate is not trusted by default
        untrusted = send_email("jeanne@example.com", "Relance", "Bonjour")
    finally:
        app.config.update(saved)
        controller.stop()
    assert row.status == "sent" and inbox.messages[0]["Subject"] == "Relance"
    assert untrusted.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
