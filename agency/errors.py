"""The platform's own error pages, in the user's language, for every HTTP error and any crash.

A page that cannot be drawn with the navbar (the database itself failed) falls back to a plain page
that touches nothing, so an error never turns into Werkzeug's English one.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

log = logging.getLogger(__name__)
# Seconds a browser or a client's system is asked to wait when the database was busy.
RETRY_AFTER = 5


def init_app(app: Flask) -> None:
    """Register the error handlers (a crash reaches the 500 one; under test it is raised instead)."""
    app.register_error_handler(CSRFError, lambda error: _page(error, csrf=True))
    app.register_error_handler(HTTPException, _page)
    app.register_error_handler(OperationalError, _database_busy)


def _database_busy(error: OperationalError):
    if "database is locked" not in str(error.orig):
        raise error  # a real failure: the 500 page
    log.warning("the database stayed locked for the whole busy timeout: %s", error)
    return _page(ServiceUnavailable(retry_after=RETRY_AFTER))


def _page(error: HTTPException, csrf: bool = False):
    code = error.code or 500
    # An error that knows what the user must fix says it (agency.inputs names the field).
    message = getattr(error, "message_for_user", None) or _message(code, csrf)
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        try:
            response = make_response(render_template("error.html", code=code, message=message))
        except Exception:  # the navbar needs the database, which may be what failed
            log.exception("the error page itself failed")
            response = _bare_page(code, message)
    response.status_code = code
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value  # Allow (405), Retry-After (429, 503), WWW-Authenticate
    return response, code


def _bare_page(code: int, message: str):
    return make_response(
        f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{code} · Amiable</title>'
        f'<link rel="stylesheet" href="{url_for("static", filename="amiable.css")}"><body class="bare-error">'
        f"<h1>{code}</h1><p>{escape(message)}</p><p><a href=\"/\">{escape(_('Back to the cases'))}</a></p>"
    )


def _message(code: int, csrf: bool) -> str:
    if csrf:
        return _("The form has expired. Go back, reload the page and try again.")
    return {
        400: _("The request could not be understood. Go back and try again."),
        401: _("Sign in to see this page."),
        403: _("You are not allowed to see this page."),
        404: _("This page does not exist, or you are not allowed to see it."),
        405: _("This page cannot be used that way. Go back and use its buttons."),
        413: _("The file is too large."),
        429: _("Too many attempts. Wait a moment, then try again."),
        503: _("The platform is busy for a moment. Wait a few seconds, then try again."),
    }.get(code, _("Something went wrong on our side. What you were doing was not saved; try again, "
                  "and tell your administrator if it happens again."))
