"""No NUL character arrives from outside: form fields, query strings, parts of the path, file names.

PostgreSQL cannot store a NUL in text (psycopg refuses to send one), so a NUL in any field would fail
deep inside whatever operation received it, with a 500 and, for a job, a retry. It is refused as the
request arrives instead, naming the field, whatever view or form reads it. JSON bodies are the API's,
checked against its document (`cases.api_input`); the cells of placement files are refused row by row.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

NUL = "\x00"


class NulInInput(BadRequest):
    """A field of the request holds a NUL character; `field` names it."""

    def __init__(self, field: str) -> None:
        super().__init__()
        self.field = field

    @property
    def message_for_user(self) -> str:
        return _("The field “%(field)s” contains a NUL character (\\u0000), which cannot be stored. "
                 "Remove it and send again.", field=self.field)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """Raise NulInInput naming the first field (or its name) that holds a NUL character."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and NUL in value:
            raise NulInInput(name)
    for fields in (request.args, request.form):
        for name, value in fields.items(multi=True):
            if NUL in (name or "") or NUL in value:  # a multipart part may come without a name
                raise NulInInput(_shown(name))
    for name, upload in request.files.items(multi=True):
        if NUL in (name or "") or NUL in (upload.filename or ""):
            raise NulInInput(_shown(name))


def _shown(name: str | None) -> str:
    return (name or "").replace(NUL, "\ufffd")
