"""E-mails: sent through SMTP when SMTP_HOST is set, otherwise kept in the local outbox.

The only module that speaks SMTP.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, make_msgid

import sqlalchemy as sa
from flask import current_app

from agency.db import db, utcnow
from agency.message_models import EmailMessage, EmailStatus
from agency.models import AgencyProfile

_LINE_BREAKS = re.compile(r"[\r\n]+\s*")


def smtp_enabled() -> bool:
    """Tell whether an SMTP server is configured (otherwise e-mails go to the local outbox)."""
    return bool(current_app.config["SMTP_HOST"])


def send_email(
    to_address: str,
    subject: str,
    body: str,
    *,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Send a plain-text e-mail, or keep it in the outbox without SMTP; return the stored row.

    `headers` adds headers such as List-Unsubscribe. A refusal of the server is recorded on the row
    (status failed), never raised. The caller commits.
    """
    subject = _LINE_BREAKS.sub(" ", subject).strip()  # a line break in a header would forge headers
    mime = build_message(to_address, subject, body, reply_to=reply_to, headers=headers)
    row = EmailMessage(
        direction="outbound",
        to_address=to_address,
        from_address=current_app.config["SMTP_FROM"],
        subject=subject[:255],
        body=body,
        status=EmailStatus.OUTBOX.value,
        message_id=mime["Message-ID"],
    )
    db.session.add(row)
    if not smtp_enabled():
        return row
    try:
        _deliver(mime)
    except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, TLS failure, timeout
        row.status, row.error = EmailStatus.FAILED.value, _describe(exc)
    else:
        row.status = EmailStatus.SENT.value
    row.updated_at = utcnow()
    return row


def build_message(
    to_address: str,
    subject: str,
    body: str,
    *,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> MimeMessage:
    """Return the MIME message as it goes on the wire: From with the agency's name, a fresh Message-ID."""
    from_address = current_app.config["SMTP_FROM"]
    mime = MimeMessage()
    mime["From"] = formataddr((_sender_name(), from_address))
    mime["To"] = to_address
    mime["Subject"] = subject
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = make_msgid(domain=_domain(from_address))
    if reply_to:
        mime["Reply-To"] = reply_to
    # Tells mail systems not to answer it with vacation replies.
    mime["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        mime[name] = value
    mime.set_content(body)
    return mime


def _deliver(mime: MimeMessage) -> None:
    cfg = current_app.config
    host, port, timeout, security = cfg["SMTP_HOST"], cfg["SMTP_PORT"], cfg["SMTP_TIMEOUT"], cfg["SMTP_SECURITY"]
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=_tls_context())
        if cfg["SMTP_USER"]:
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        smtp.send_message(mime)


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=current_app.config["SMTP_CA_FILE"] or None)


def _sender_name() -> str:
    return db.session.scalar(sa.select(AgencyProfile.name).where(AgencyProfile.id == 1)) or ""


def _domain(address: str) -> str:
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reason = next(iter(exc.recipients.values()))
        text = f"{code}: {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        text = f"{exc.smtp_code}: {error}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:255]
