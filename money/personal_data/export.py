"""The subject access export: one ZIP of everything the platform holds about a debtor."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from agency import audit
from agency.db import utcnow as now
from agency.models import User
from agency.storage import DocumentError, get_store, read_document
from debtors.models import Debtor
from money.personal_data.scope import DebtorData, audit_events, debtor_data, stored_files

# Secrets that open something (a link's token, a collector's lease) are not the debtor's data and would let
# anyone holding the archive act in their name.
WITHHELD = frozenset({"token_hash", "lease_token", "provider_session_id", "url", "idempotency_key"})


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _rows_json(rows: list[dict[str, Any]]) -> str:
    shown = [{k: _plain(v) for k, v in row.items() if k not in WITHHELD} for row in rows]
    return json.dumps(shown, ensure_ascii=False, indent=2, default=str)


def _events_json(data: DebtorData) -> tuple[str, int]:
    events = []
    for batch in audit_events(data):
        events.extend({
            "id": e.id, "created_at": _plain(e.created_at), "action": e.action, "actor": e.actor_label,
            "subject_type": e.subject_type, "subject_id": e.subject_id, "before": e.before, "after": e.after,
            # The address of a request is the debtor's own only when they acted themselves (their space).
            "ip": e.ip if e.actor_id is None else None,
        } for e in batch)
    events.sort(key=lambda e: (e["created_at"], e["id"]))
    return json.dumps(events, ensure_ascii=False, indent=2, default=str), len(events)


def _readme(debtor: Debtor, data: DebtorData, files: list[str], missing: list[str], events: int) -> str:
    lines = [
        _("Personal data held by the agency about %(name)s (debtor no. %(id)s)", name=debtor.display_name,
          id=debtor.id),
        _("Export produced on %(moment)s (UTC), in answer to a right of access request (GDPR art. 15).",
          moment=now().strftime("%Y-%m-%d %H:%M")),
        "",
        _("What this archive holds:"),
        _("- data/<table>.json: every record of the platform about this person or their cases, one file per "
          "table (identity, contact points, cases, invoices, ledger entries, payments, plans, promises, letters, "
          "messages, holds, disputes, documents…), each record with all its fields."),
        _("- audit_events.json: the history of changes made to these records (%(count)s events): when, by whom, "
          "what changed.", count=events),
        _("- files/: the stored documents (letters, receipts, attachments, documents sent by the debtor…)."),
        "",
        _("Tables included:"),
    ]
    lines += [f"- {name}: {len(rows)}" for name, rows in data.rows.items()]
    lines += ["", _("Documents included: %(count)s", count=len(files))]
    if missing:
        lines += [_("Documents that could not be read from storage (listed, not included):")] + \
                 [f"- {key}" for key in missing]
    lines += ["", _("Links to the debtor's space and secret keys are not included: they would let anyone "
                    "holding this archive act in the person's name.")]
    return "\n".join(lines) + "\n"


def export_archive(debtor: Debtor, actor: User) -> tuple[bytes, str]:
    """Return the ZIP of the debtor's data and its file name, and audit the export (the caller commits)."""
    data = debtor_data(debtor)
    buffer = io.BytesIO()
    files, missing = [], []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in data.rows.items():
            archive.writestr(f"data/{name}.json", _rows_json(rows))
        events, count = _events_json(data)
        archive.writestr("audit_events.json", events)
        for table, row_id, key, sha256 in stored_files(data):
            target = f"files/{table}/{row_id}-{PurePosixPath(key).name}"
            if target in files:
                continue
            try:
                content = read_document(key, sha256) if sha256 else get_store().get(key)
            except DocumentError:
                missing.append(key)
                continue
            archive.writestr(target, content)
            files.append(target)
        with force_locale("fr"):  # whoever asks, the archive goes to a French data subject
            archive.writestr("README.txt", _readme(debtor, data, files, missing, count))
    audit.record("debtor.personal_data_exported", actor=actor, subject=debtor, after={
        "tables": len(data.rows), "rows": sum(len(r) for r in data.rows.values()), "files": len(files),
        "audit_events": count,
    })
    return buffer.getvalue(), f"donnees-personnelles-debiteur-{debtor.id}-{now():%Y%m%d}.zip"
