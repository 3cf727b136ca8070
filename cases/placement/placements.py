"""Placement operations: receive a file, map its columns, check it, confirm, import, cancel.

Nothing reaches the cases before `import_placement`, which writes everything in the caller's one
transaction; the plan is settled again at import time so that invoices placed meanwhile are not
doubled.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext as _

from agency import audit
from agency.clock import today
from agency.db import db, utcnow
from agency.models import ApiToken, Client, User
from cases.labels import PLACEMENT as PLACEMENT_LABELS
from cases.placement import checked as checked_store
from cases.placement.checked import CheckedRows
from cases.placement.fields import FIELDS, guess_mapping, missing_required, normalize_header
from cases.placement.models import ColumnMapping, Placement, PlacementFile, PlacementStatus
from cases.placement.plan import Plan, check_rows, database_state, restore, settle, settled_parts
from cases.placement.reader import ReadError, Table, read_table
from cases.placement.writer import Written, write_plan

MAX_FILE_BYTES = 50 * 1024 * 1024
SAMPLE_ROWS, SAMPLE_CHARS = 3, 80  # what the mapping page shows of the file's first rows

# The table read on receipt, for a check in the same process (the API, the shell): reading a big file
# again costs as much as the first time. Weak: it goes with the placement object.
_received_tables: weakref.WeakKeyDictionary[Placement, Table] = weakref.WeakKeyDictionary()


class PlacementError(ValueError):
    """The placement cannot go on; the message says why, for the user."""


def receive_file(
    client: Client,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    source: str,
    api_token: ApiToken | None = None,
) -> Placement:
    """Store a client's file and its column mapping (saved, else guessed); write no case."""
    if client.active_mandate(today()) is None:
        raise PlacementError(
            _(
                "%(client)s has no collection mandate in force: no case can be placed (CPCE R124-3).",
                client=client.name,
            )
        )
    if len(data) > MAX_FILE_BYTES:
        raise PlacementError(_("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 1024 // 1024))
    try:
        table = read_table(data, filename)
    except ReadError as exc:
        raise PlacementError(str(exc)) from exc
    if not table.rows:
        raise PlacementError(_("The file has no invoice rows."))
    mapping = saved_mapping(client.id, table.headers) or guess_mapping(table.headers)
    placement = Placement(
        client=client,
        source=source,
        created_by=actor,
        api_token=api_token,
        filename=filename[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        headers=table.headers,
        samples=[[cell[:SAMPLE_CHARS] for cell in row] for row in table.rows[:SAMPLE_ROWS]],
        mapping=mapping,
        rows_total=len(table.rows),
        status=(PlacementStatus.MAPPING if missing_required(mapping) else PlacementStatus.VALIDATING).value,
    )
    placement.file = PlacementFile(content=data)
    db.session.add(placement)
    db.session.flush()
    _received_tables[placement] = table
    audit.record(
        "placement.received",
        actor=actor,
        subject=placement,
        actor_label=_actor_label(actor, api_token),
        after={"filename": placement.filename, "rows": placement.rows_total, "source": source},
    )
    return placement


def previous_upload(placement: Placement) -> Placement | None:
    """Return an earlier placement of the same file by the same client, if any.

    The one that imported it comes first, since its invoices are those that will not be placed again;
    else the latest upload (checked, cancelled or failed: nothing of it was placed).
    """
    imported = sa.case((Placement.status == PlacementStatus.IMPORTED.value, 0), else_=1)
    return db.session.scalar(
        sa.select(Placement)
        .where(
            Placement.client_id == placement.client_id,
            Placement.file_sha256 == placement.file_sha256,
            Placement.id != placement.id,
        )
        .order_by(imported, sa.case((imported == 0, Placement.id), else_=-Placement.id))
        .limit(1)
    )


def saved_mapping(client_id: int, headers: list[str]) -> dict[str, int] | None:
    """Apply the client's saved mapping to these headers, if it covers every required field."""
    saved = db.session.get(ColumnMapping, client_id)
    if saved is None:
        return None
    index = {normalize_header(h): i for i, h in enumerate(headers)}
    mapping = {key: index[h] for h, key in saved.by_header.items() if h in index}
    return None if missing_required(mapping) else mapping


def set_mapping(placement: Placement, mapping: dict[str, int], actor: User | None) -> None:
    """Record which column is which, and save it for the client's next files."""
    _require(placement, PlacementStatus.MAPPING, PlacementStatus.VALIDATED)
    known = {f.key for f in FIELDS}
    columns = list(mapping.values())
    if set(mapping) - known or any(not 0 <= i < len(placement.headers) for i in columns):
        raise PlacementError(_("Unknown field or column in the mapping."))
    if len(columns) != len(set(columns)):
        raise PlacementError(_("A column can be used for one field only."))
    if missing := missing_required(mapping):
        labels = ", ".join(str(f.label) for f in FIELDS if f.key in missing)
        raise PlacementError(_("Say which column holds: %(fields)s.", fields=labels))
    placement.mapping = mapping
    placement.status = PlacementStatus.VALIDATING.value
    row = db.session.get(ColumnMapping, placement.client_id) or ColumnMapping(client_id=placement.client_id)
    row.by_header = {normalize_header(placement.headers[i]): key for key, i in mapping.items()}
    row.updated_by_id = actor.id if actor else None
    db.session.add(row)
    audit.record("placement.mapped", actor=actor, subject=placement, after={"mapping": str(row.by_header)})


def check_placement(placement: Placement, progress: Callable[[int, int], None] | None = None) -> Plan:
    """Check every row and store the preview: counts and report. Writes no case."""
    _require(placement, PlacementStatus.VALIDATING, PlacementStatus.VALIDATED)
    table = _received_tables.pop(placement, None) or load_table(placement)
    checked = check_rows(table, placement.mapping, progress)
    del table  # emptied by check_rows; the settlement needs none of what is left
    plan = settle(checked, placement.client_id, _amount_column(placement))
    checked.settled = settled_parts(plan, checked.accepted, database_state(placement.client_id))
    _keep_checked_rows(placement, checked)
    _store_plan(placement, plan)
    placement.status = PlacementStatus.VALIDATED.value
    placement.validated_at = utcnow()
    return plan


def confirm_placement(placement: Placement, actor: User | None) -> None:
    """Accept the preview: the import may run."""
    _require(placement, PlacementStatus.VALIDATED)
    if placement.rows_valid == 0:
        raise PlacementError(_("No row can be imported: nothing to confirm."))
    placement.status = PlacementStatus.IMPORTING.value
    placement.confirmed_by_id = actor.id if actor else None
    audit.record(
        "placement.confirmed",
        actor=actor,
        subject=placement,
        actor_label=_actor_label(actor, placement.api_token),
    )


def cancel_placement(placement: Placement, actor: User | None) -> None:
    """Drop a placement that was not imported; nothing was written."""
    _require(placement, PlacementStatus.MAPPING, PlacementStatus.VALIDATING, PlacementStatus.VALIDATED)
    placement.status = PlacementStatus.CANCELLED.value
    audit.record("placement.cancelled", actor=actor, subject=placement)


def import_placement(
    placement: Placement,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
    checked: Plan | None = None,
) -> Written:
    """Write the placement's cases in the caller's transaction.

    `checked` is the plan `check_placement` returned in this same transaction (the API and the shell
    check and import in one go). Otherwise the check's plan is reused if the database is as it was
    then; if not (the preview may be old) the rows the check kept are settled again, so that
    invoices placed and debtors known meanwhile are taken into account.
    """
    _require(placement, PlacementStatus.IMPORTING)
    if checked is None:
        rows = _checked_rows(placement)
        checked = restore(rows, placement.client_id) if rows else None
        if checked is None:
            rows = rows or check_rows(load_table(placement), placement.mapping, progress)
            checked = settle(rows, placement.client_id, _amount_column(placement))
        _store_plan(placement, checked)
    plan = checked
    written = write_plan(plan, placement, actor, today())
    placement.status = PlacementStatus.IMPORTED.value
    placement.imported_at = utcnow()
    audit.record(
        "placement.imported",
        actor=actor,
        subject=placement,
        actor_label=_actor_label(actor, placement.api_token),
        after={
            "cases_created": written.cases_created,
            "cases_updated": written.cases_updated,
            "claims": written.claims,
            "debtors_created": written.debtors,
            "total_cents": placement.total_cents,
        },
    )
    return written


def load_table(placement: Placement) -> Table:
    """Read the stored file again (a check in another process; an import when the check kept no rows)."""
    content = db.session.scalar(
        sa.select(PlacementFile.content).where(PlacementFile.placement_id == placement.id)
    )
    return read_table(content, placement.filename)


def _amount_column(placement: Placement) -> str:
    index = (placement.mapping or {}).get("amount")
    headers = placement.headers or []
    return headers[index] if index is not None and index < len(headers) else ""


def _keep_checked_rows(placement: Placement, checked: CheckedRows) -> None:
    # A plain UPDATE: loading the file row through the ORM would read its content back.
    db.session.execute(
        sa.update(PlacementFile)
        .where(PlacementFile.placement_id == placement.id)
        .values(checked_rows=checked_store.dump(checked))
    )


def _checked_rows(placement: Placement) -> CheckedRows | None:
    stored = db.session.scalar(
        sa.select(PlacementFile.checked_rows).where(PlacementFile.placement_id == placement.id)
    )
    return checked_store.load(stored)


def _store_plan(placement: Placement, plan: Plan) -> None:
    for name, value in plan.counts().items():
        setattr(placement, name, value)
    placement.report = plan.report()


def _require(placement: Placement, *allowed: PlacementStatus) -> None:
    if placement.status not in {s.value for s in allowed}:
        raise PlacementError(
            _(
                "This placement is %(status)s: this step is not possible now.",
                status=PLACEMENT_LABELS[placement.status],
            )
        )


def _actor_label(actor: User | None, token: ApiToken | None) -> str | None:
    if actor is None and token is not None:
        return f"api:{token.prefix}"
    return None
