"""The audit trail as CSV and XLSX, streamed while it is read: a download of millions of events starts at once and
holds one batch of them at a time (reports.audit.trail.iterate)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from agency.spreadsheet import csv_lines, xlsx_chunks
from reports.audit.trail import CASE_TABLE, AuditFilters, changes_text, iterate

WIDTHS = (20, 28, 24, 18, 10, 16, 20, 60, 40, 40, 16)


def columns() -> list[str]:
    """Return the column titles of the export."""
    return [_("Date"), _("User"), _("Event"), _("Subject"), _("Number"), _("Case"), _("Client"), _("Changes"),
            _("Before"), _("After"), _("IP address")]


def rows(filters: AuditFilters) -> Iterator[list]:
    """Yield the header, then one row per event, newest first."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    yield columns()
    for events, cases, clients in iterate(filters):
        for event in events:
            case = cases.get(event.subject_id, "") if event.subject_type == CASE_TABLE else ""
            yield [
                # Text in the agency's time, to the second: a date cell would lose the time, and a datetime
                # cell carries no zone to say which one it is.
                event.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
                event.actor_label, event.action, event.subject_type, event.subject_id, case,
                clients.get(event.client_id, ""), changes_text(event), _json(event.before), _json(event.after),
                event.ip or "",
            ]


def csv_stream(filters: AuditFilters) -> Iterator[bytes]:
    """Yield the CSV (semicolons, UTF-8 with its BOM) as it is written."""
    for line in csv_lines(rows(filters)):
        yield line.encode("utf-8")


def xlsx_stream(filters: AuditFilters) -> Iterator[bytes]:
    """Yield the XLSX workbook as it is written (at most Excel's 1,048,575 events: the CSV has no bound)."""
    return xlsx_chunks(_("Audit trail"), rows(filters), WIDTHS)


def _json(values: dict | None) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values is not None else ""
