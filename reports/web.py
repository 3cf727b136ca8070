"""What the reports' pages share: the client a request asks for, and file downloads."""

from __future__ import annotations

from flask import Response, abort, request
from flask_login import current_user

from agency.db import db
from agency.models import Client, Role


def asked_client_id() -> int | None:
    """Return the client a request's `client` argument asks for; a client user gets its own, and 404 for
    any other; staff get None (every client) when none is asked."""
    asked = request.args.get("client", "").strip()
    if current_user.role == Role.CLIENT.value:
        if asked and asked != str(current_user.client_id):
            abort(404)
        return current_user.client_id
    if not asked:
        return None
    if not asked.isdigit() or db.session.get(Client, int(asked)) is None:
        abort(404)
    return int(asked)


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """Return `body` as a file to save; never kept by a shared cache (it holds a client's figures).

    Text is sent in UTF-8, which Werkzeug names itself: a `mimetype` that names a charset too would send it twice.
    """
    response = Response(body, mimetype=mimetype.split(";", 1)[0].strip())
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
