"""The CSV of an export batch: written by its job once every case is marked, read a chunk of cases at a time, and
stored through the storage seam, so that any web machine serves it."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from agency.db import db, utcnow
from agency.models import Client, Team, User
from agency.spreadsheet import Amount, csv_lines
from agency.storage import store_document
from cases import ledger
from cases.labels import STATUS
from cases.models import Case, CaseBatch, CaseBatchItem, ItemOutcome
from debtors.models import Debtor

CHUNK = 1_000


def columns() -> list[str]:
    """Return the column titles of the export."""
    return [_("Reference"), _("Client's reference"), _("Client"), _("Debtor"), _("SIREN"), _("Status"), _("Opened"),
            _("Collector"), _("Pool"), _("Outstanding"), _("Currency")]


def rows(batch: CaseBatch) -> Iterator[list]:
    """Yield the header, then one row per case the batch exported, by case number."""
    yield columns()
    batch_id, after = batch.id, 0
    collector, team = aliased(User), aliased(Team)
    while True:
        # Read as plain rows (no ORM objects kept in the session), a chunk at a time, by case number.
        found = db.session.execute(
            sa.select(Case.id, Case.reference, Case.client_reference, Client.name, Debtor.kind, Debtor.company_name,
                      Debtor.title, Debtor.first_name, Debtor.last_name, Debtor.siren, Case.status, Case.opened_on,
                      collector.name, team.name, Case.currency)
            .join(CaseBatchItem, sa.and_(CaseBatchItem.case_id == Case.id, CaseBatchItem.batch_id == batch_id))
            .join(Client, Client.id == Case.client_id).join(Debtor, Debtor.id == Case.debtor_id)
            .outerjoin(collector, collector.id == Case.assigned_collector_id).outerjoin(team, team.id == Case.team_id)
            .where(CaseBatchItem.outcome == ItemOutcome.DONE.value, Case.id > after)
            .order_by(Case.id).limit(CHUNK)).all()
        if not found:
            return
        owed = ledger.balances([row[0] for row in found])
        for (case_id, reference, client_reference, client, kind, company, title, first, last, siren, status, opened,
             collector_name, team_name, currency) in found:
            yield [reference, client_reference, client, Debtor.name_of(kind, company, title, first, last),
                   siren or "", str(STATUS[status]), opened, collector_name or "", team_name or "",
                   Amount(owed[case_id].outstanding), currency]
        after = found[-1][0]


def store_export(batch: CaseBatch) -> None:
    """Write the batch's CSV (semicolons, UTF-8 with its BOM) and record where it is stored."""
    data = "".join(csv_lines(rows(batch))).encode("utf-8")
    stored = store_document(data, f"exports/{utcnow().year}", f"dossiers-{batch.id}", suffix=".csv")
    batch.file_path, batch.sha256 = stored.path, stored.sha256
