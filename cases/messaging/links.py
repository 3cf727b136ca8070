"""Links put in messages: the debtor's space (cases.messaging.space_links issues them) and the unsubscribe page.

The unsubscribe link is a stateless signed id. So was the first link to the debtor's space (`PORTAL`), which
could neither expire nor be revoked: tokens of that kind already sent are still read, only to tell their
holder that the link has expired and how to get a new one.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, Signer

PORTAL = "debtor-portal"
UNSUBSCRIBE = "unsubscribe"
# Where links point when neither PUBLIC_URL nor a request tells the site's address (embedded mode).
EMBEDDED_URL = "http://127.0.0.1:5000"


def _signer(purpose: str) -> Signer:
    # One salt per purpose: a portal token never works as an unsubscribe token, and the reverse.
    return Signer(current_app.config["SECRET_KEY"], salt=f"amiable.{purpose}")


def sign_id(purpose: str, row_id: int) -> str:
    """Return a token naming row `row_id` that only this platform could have made."""
    return _signer(purpose).sign(str(row_id)).decode()


def read_id(purpose: str, token: str) -> int | None:
    """Return the id a token names, or None when it was not signed by us for `purpose`."""
    try:
        value = _signer(purpose).unsign(token.encode())
    except BadSignature:
        return None
    return int(value) if value.isdigit() else None


def public_url(endpoint: str, **values: object) -> str:
    """Return the absolute URL of `endpoint` as debtors and Twilio reach it, even from a job."""
    path = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"]).build(
        endpoint, values
    )
    return public_base() + path


def public_base() -> str:
    """Return the site's public address without a trailing slash."""
    configured = current_app.config["PUBLIC_URL"]
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server}"
    return EMBEDDED_URL


def space_url(token: str) -> str:
    """Return the address of the debtor's space that a link's token opens."""
    # Named by endpoint: the space is a package above this one, registered by the app.
    return public_url("debtor_space.enter", token=token)


def unsubscribe_url(contact_point_id: int) -> str:
    """Return the link that stops e-mails to one address."""
    return public_url("messaging.unsubscribe_page", token=sign_id(UNSUBSCRIBE, contact_point_id))
